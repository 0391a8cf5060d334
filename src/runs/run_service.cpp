#include "runs/run_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <thread>

#include "agents/registry.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "core/json_write.hpp"
#include "core/offload.hpp"
#include "core/time.hpp"
#include "runs/event_envelope.hpp"

namespace netra::runs {
namespace asio = boost::asio;
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

namespace {

// Fans a stored event out to the run's user; the envelope is serialized once for every connection.
void PublishStored(EventPublisher& publisher, const domain::Run& run, const domain::RunEvent& event) {
    auto live = std::make_shared<LiveEvent>();
    live->user_id = run.user_id;
    live->run_id = event.run_id;
    live->thread_id = run.thread_id;
    live->seq = event.seq;
    live->type = event.type;
    live->frame = std::make_shared<const std::string>(SerializeEnvelope(event, run.thread_id));
    publisher.Publish(live);
}

// Why a run that used up its attempts failed. Only interruptions that were not a graceful hand-back count (a
// server that died under the run, or lost its lease): Store::HandBackRun.
std::string OutOfAttempts(int interruptions) {
    return "the run was interrupted " + std::to_string(interruptions) +
           " times by servers that stopped under it; send the message again";
}
}  // namespace

struct RunService::ActiveRun {
    domain::Run run;
    std::optional<std::string> dataset_id;
    std::string agent;  // start_agent {agent}: the agent the client asked for (its prerequisites run first)
    std::atomic<bool> cancel_requested{false};
    std::atomic<bool> handed_back{false};  // shutdown left it interrupted for the next start: never finish it here
    std::atomic<bool> started{false};
    std::atomic<bool> claimed{false};  // database queue: claimed by ClaimNextRuns before it was spawned
    std::chrono::steady_clock::time_point start_time;

    std::mutex mutex;  // guards the fields below (read by Status from other threads)
    std::string current_agent;
    bool current_agent_thought = false;  // it emitted an agent_thinking
    std::chrono::steady_clock::time_point step_start;
    std::string open_tool;  // a tool_executing without its tool_completed yet
    std::chrono::steady_clock::time_point tool_start;
    std::int64_t seq = 0;

    QueuedRun AsQueued() const { return QueuedRun{run.id, run.thread_id, run.user_id}; }
};

// Stores each event with the next seq, then fans it out: durable before delivered (§7). The run waits for the
// write on the blocking pool without holding a thread.
class RunService::Sink : public agents::EventSink {
  public:
    Sink(RunService& service, ActiveRun& run) : service_(service), run_(run) {}

    asio::awaitable<core::Status> Emit(domain::EventType type, std::string agent_name, json::object payload) override {
        if (auto s = CheckContinue(); !s.ok()) co_return s;
        // (The "database" fault acts in the store itself, on every read and write: app/server_app.cpp.)
        domain::RunEvent event = Next(type, agent_name, std::move(payload));
        core::Status stored = co_await service_.event_writer_.Write(event);
        if (!stored.ok()) {
            std::lock_guard lock(run_.mutex);
            --run_.seq;  // never stored: the next event takes this seq, so the stored run has no hole
            co_return stored;
        }
        Publish(event);
        co_return core::Ok();
    }

    // Called by agents after each tool_executing: an injected tool error becomes a failed tool (the agents
    // degrade to a partial report); latency and timeout faults delay it cooperatively.
    asio::awaitable<core::Status> BeforeTool(std::string tool) override { return InjectedFault("tool:" + tool); }

    // Applies a registered fault for `target`: latency waits on a timer (cancellation and timeouts still end the
    // run promptly), timeout waits until the step or run deadline ends it, error fails the call.
    asio::awaitable<core::Status> InjectedFault(std::string target) {
        if (!service_.settings_.fault_injection) co_return core::Ok();
        auto fault = service_.faults_.Check(target);
        if (!fault) co_return core::Ok();
        if (fault->mode == "error") {
            const bool unavailable = fault->error.empty() ? target == "database" : fault->error == "unavailable";
            const auto code = unavailable ? ErrorCode::kServiceUnavailable : ErrorCode::kInternal;
            co_return MakeError(code, "injected fault: " + target);
        }
        auto until = core::MonoNow() + std::chrono::milliseconds(fault->latency_ms);
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (;;) {
            if (auto s = CheckContinue(); !s.ok()) co_return s;
            auto now = core::MonoNow();
            if (fault->mode != "timeout" && now >= until) co_return core::Ok();
            // Short steps keep cancellation prompt (§7: < 100 ms) without holding a thread.
            auto step = std::chrono::milliseconds(20);
            if (fault->mode != "timeout") {
                step = std::min(step, std::chrono::duration_cast<std::chrono::milliseconds>(until - now) +
                                          std::chrono::milliseconds(1));
            }
            timer.expires_after(step);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }

    core::Status CheckContinue() override {
        if (run_.cancel_requested.load()) return MakeError(ErrorCode::kCancelled, "run cancelled");
        auto now = core::MonoNow();
        if (now - run_.start_time > service_.settings_.timeouts.run) {
            return MakeError(ErrorCode::kTimeout, "run exceeded its time limit");
        }
        std::lock_guard lock(run_.mutex);
        if (!run_.current_agent.empty() && now - run_.step_start > service_.settings_.timeouts.agent_step) {
            return MakeError(ErrorCode::kTimeout, "agent " + run_.current_agent + " exceeded its step time limit");
        }
        return core::Ok();
    }

    // Builds the next event without storing it (terminal events are stored by FinishRun atomically).
    domain::RunEvent Next(domain::EventType type, std::string_view agent_name, json::object payload) {
        domain::RunEvent event;
        event.run_id = run_.run.id;
        event.type = type;
        event.agent_name = std::string(agent_name);
        event.payload = core::JsonText(payload);
        event.created_at = core::NowMs();
        std::lock_guard lock(run_.mutex);
        event.seq = ++run_.seq;
        if (type == domain::EventType::kAgentStarted) {
            run_.current_agent = std::string(agent_name);
            run_.current_agent_thought = false;
            run_.step_start = core::MonoNow();
        } else if (type == domain::EventType::kAgentThinking) {
            run_.current_agent_thought = true;
        } else if (type == domain::EventType::kAgentCompleted || type == domain::EventType::kAgentFailed) {
            run_.current_agent.clear();
            run_.open_tool.clear();
        } else if (type == domain::EventType::kToolExecuting) {
            if (auto it = payload.find("tool"); it != payload.end() && it->value().is_string()) {
                run_.open_tool = std::string(it->value().get_string());
            }
            run_.tool_start = core::MonoNow();
        } else if (type == domain::EventType::kToolCompleted) {
            run_.open_tool.clear();
        }
        return event;
    }

    void Publish(const domain::RunEvent& event) { PublishStored(service_.publisher_, run_.run, event); }

  private:
    RunService& service_;
    ActiveRun& run_;
};

RunService::RunService(const config::Settings& settings, std::string instance_id, QueueMode queue,
                       std::shared_ptr<storage::Store> store, EventPublisher& publisher, ClusterSignals& signals,
                       core::SharedRateLimits& shared_limits, agents::DataAccess& datasets,
                       const analysis::Catalog& catalog, llm::Provider& llm, core::FaultRegistry& faults,
                       asio::thread_pool& run_pool, agents::Pools pools)
    : settings_(settings),
      queue_(queue),
      store_(std::move(store)),
      publisher_(publisher),
      signals_(signals),
      datasets_(datasets),
      faults_(faults),
      run_pool_(run_pool),
      pools_(pools),
      scheduler_(settings.limits.max_concurrent_runs_per_user),
      message_limiter_(settings.limits.messages_per_minute, "messages", shared_limits),
      run_limiter_(settings.limits.runs_per_minute, "runs", shared_limits),
      supervisor_(catalog, llm, pools),
      event_writer_(store_, pools.blocking, instance_id),  // declared before instance_id_: the parameter, unmoved
      instance_id_(std::move(instance_id)),
      lease_timer_(asio::make_strand(run_pool)),
      claim_strand_(asio::make_strand(run_pool)) {
    signals_.Listen(this);
}

RunService::~RunService() { signals_.Listen(nullptr); }

namespace {

// Runs claimed from the database queue per transaction: enough to start a burst in a few round trips, few enough
// that another instance waiting for the queue's lock is not held for long (each claim is well under a millisecond).
constexpr int kClaimBatch = 32;

std::string Trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// A title from the first message, cut at a UTF-8 character boundary.
std::string TitleFrom(const std::string& content) {
    std::string t = Trim(content);
    constexpr std::size_t kMax = 80;
    if (t.size() <= kMax) return t;
    std::size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;
    return t.substr(0, cut) + "…";
}

}  // namespace

core::Result<SubmitResult> RunService::Submit(const SubmitRequest& request) {
    if (draining_) return MakeError(ErrorCode::kServiceUnavailable, "server is shutting down");
    if (Trim(request.content).empty())
        return MakeError(ErrorCode::kInvalidRequest, "message content must not be empty");
    if (request.content.size() > settings_.limits.max_message_bytes) {
        return MakeError(
            ErrorCode::kPayloadTooLarge,
            "message content is larger than " + std::to_string(settings_.limits.max_message_bytes) + " bytes");
    }
    auto policy = domain::ParseDoubleTextPolicy(request.policy);
    if (!policy) return MakeError(ErrorCode::kInvalidRequest, "policy must be enqueue, reject or interrupt");
    if (!agents::IsKnownAgent(request.agent)) {
        return MakeError(ErrorCode::kInvalidRequest, "unknown agent '" + request.agent + "'");
    }
    // Every message starts a run: each has its own allowance, and the first to say no is the answer.
    if (auto m = message_limiter_.Take(request.user_id); !m.allowed) return core::RateLimited("messages", m.info);
    if (auto r = run_limiter_.Take(request.user_id); !r.allowed) return core::RateLimited("runs", r.info);
    if (request.dataset_id) {
        // Another user's dataset is answered exactly like a missing one (§3).
        auto dataset = store_->GetDataset(request.user_id, *request.dataset_id);
        if (!dataset.ok()) return dataset.error();
        if (!*dataset) return MakeError(ErrorCode::kNotFound, "dataset not found");
    }
    const core::Millis now = core::NowMs();
    std::string thread_id;
    if (request.thread_id) {
        auto thread = store_->GetThread(request.user_id, *request.thread_id);
        if (!thread.ok()) return thread.error();
        if (!*thread) return MakeError(ErrorCode::kNotFound, "thread not found");
        thread_id = *request.thread_id;
        if (ThreadHasWork(thread_id)) {
            if (*policy == domain::DoubleTextPolicy::kReject) {
                return MakeError(ErrorCode::kThreadBusy, "thread has an active run; policy is reject");
            }
            if (*policy == domain::DoubleTextPolicy::kInterrupt) {
                if (auto active = ActiveRunOfThread(thread_id)) (void)Cancel(request.user_id, *active);
            }
        }
    } else {
        domain::Thread thread{core::NewId(), request.user_id, TitleFrom(request.content), now, now};
        if (auto s = store_->CreateThread(thread); !s.ok()) return s.error();
        thread_id = thread.id;
    }

    SubmitResult result;
    result.run.id = core::NewId();
    result.run.thread_id = thread_id;
    result.run.user_id = request.user_id;
    result.run.status = domain::RunStatus::kQueued;
    result.run.policy = *policy;
    result.run.created_at = now;
    result.run.request = request.content;
    result.run.agent = request.agent;
    result.message.id = core::NewId();
    result.message.thread_id = thread_id;
    result.message.user_id = request.user_id;
    result.message.role = domain::MessageRole::kUser;
    result.message.content = request.content;
    result.message.run_id = result.run.id;
    result.message.dataset_id = request.dataset_id;
    result.message.created_at = now;
    if (auto s = store_->InsertMessageAndRun(result.message, result.run); !s.ok()) return s.error();
    // The database queue holds it now, for whichever instance claims it (that one builds its ActiveRun then).
    if (queue_ == QueueMode::kDatabase) return result;

    auto active = std::make_shared<ActiveRun>();
    active->run = result.run;
    active->dataset_id = request.dataset_id;
    active->agent = request.agent;
    {
        std::lock_guard lock(mutex_);
        active_[result.run.id] = active;
    }
    return result;
}

bool RunService::ThreadHasWork(const std::string& thread_id) {
    if (queue_ == QueueMode::kInProcess) return scheduler_.ThreadHasWork(thread_id);
    auto active = store_->ActiveRunOfThread(thread_id);
    return active.ok() && active->has_value();  // unreadable: treated as idle (the queue still orders the runs)
}

std::optional<std::string> RunService::ActiveRunOfThread(const std::string& thread_id) {
    if (queue_ == QueueMode::kInProcess) return scheduler_.ActiveRunOfThread(thread_id);
    auto active = store_->ActiveRunOfThread(thread_id);
    if (!active.ok() || !*active || (*active)->status != domain::RunStatus::kRunning) return std::nullopt;
    return (*active)->id;
}

std::size_t RunService::RunningCount() const {
    if (queue_ == QueueMode::kInProcess) return scheduler_.RunningCount();
    return static_cast<std::size_t>(std::max(running_here_.load(), 0));
}

std::size_t RunService::QueuedCount() const {
    if (queue_ == QueueMode::kInProcess) return scheduler_.QueuedCount();
    std::lock_guard lock(mutex_);
    std::size_t waiting = 0;
    for (const auto& [id, run] : active_) waiting += run->started ? 0 : 1;
    return waiting;
}

void RunService::Schedule(const std::string& run_id) {
    if (queue_ == QueueMode::kDatabase) {
        WakeDispatcher();
        signals_.SignalWork();  // another instance may have the slot this one lacks
        return;
    }
    std::shared_ptr<ActiveRun> run;
    {
        std::lock_guard lock(mutex_);
        auto it = active_.find(run_id);
        if (it == active_.end()) return;  // cancelled in between
        run = it->second;
    }
    scheduler_.Enqueue(run->AsQueued());
    DispatchStartable();
}

void RunService::DispatchStartable() {
    if (draining_) return;
    if (queue_ == QueueMode::kDatabase) return WakeDispatcher();
    for (const auto& queued : scheduler_.TakeStartable()) {
        std::shared_ptr<ActiveRun> run;
        {
            std::lock_guard lock(mutex_);
            auto it = active_.find(queued.run_id);
            if (it != active_.end()) run = it->second;
        }
        if (!run) {
            scheduler_.Finished(queued);
            continue;
        }
        run->started = true;
        Spawn(run);
    }
}

void RunService::Spawn(std::shared_ptr<ActiveRun> run) {
    // Each run is a coroutine on its own strand of the run pool: it holds a thread only while it computes.
    asio::co_spawn(asio::make_strand(run_pool_), Execute(run), [this, run](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            spdlog::error("run {}: {}", run->run.id, ex.what());
        }
        // An execution that threw never reached FinishActive: its entry and slot go, the lease lapses and the run
        // is taken over.
        Forget(*run);
        ReleaseSlot(*run);
        DispatchStartable();
    });
}

void RunService::Forget(const ActiveRun& run) {
    std::lock_guard lock(mutex_);
    auto it = active_.find(run.run.id);
    if (it != active_.end() && it->second.get() == &run) active_.erase(it);  // not a newer entry of the same run
}

void RunService::WakeDispatcher() {
    if (draining_) return;
    claim_again_ = true;
    if (claiming_.exchange(true)) return;  // the claimer running now goes round once more
    asio::co_spawn(claim_strand_, ClaimFromQueue(), [this](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            spdlog::error("run queue: {}", ex.what());
        }
        claiming_ = false;  // the next wake claims again
    });
}

asio::awaitable<void> RunService::ClaimFromQueue() {
    for (;;) {
        claim_again_ = false;
        while (!draining_ && running_here_.load() < settings_.limits.runs_per_instance) {
            // As many as this instance has free slots, a bounded batch at a time (the lock is the cluster's).
            const int batch = std::min(kClaimBatch, settings_.limits.runs_per_instance - running_here_.load());
            auto claim = [store = store_, owner = instance_id_, lease = settings_.timeouts.run_lease,
                          per_user = settings_.limits.max_concurrent_runs_per_user, batch] {
                const core::Millis now = core::NowMs();
                return store->ClaimNextRuns(owner, now + lease.count(), now, per_user, batch);
            };
            auto claimed = co_await core::Offload(pools_.blocking, std::move(claim));
            if (!claimed.ok()) {
                // The lease keeper's tick wakes the claimer again: an outage is not retried in a tight loop.
                spdlog::debug("run queue: claim failed: {}", claimed.error().message);
                break;
            }
            if (draining_) {
                // Claimed while the shutdown began: never started here, so the claim is undone — waiting again as
                // before, its attempt not counted (the next claim, here or elsewhere, runs it).
                auto hand_back = [store = store_, runs = std::move(*claimed), owner = instance_id_] {
                    for (const auto& run : runs) {
                        auto released = store->ReleaseClaim(run.id, owner);
                        if (!released.ok())
                            spdlog::warn("run {}: not handed back: {}", run.id, released.error().message);
                    }
                    return runs.size();
                };
                co_await core::Offload(pools_.blocking, std::move(hand_back));
                signals_.SignalWork();  // another instance takes them now, not at its next tick
                break;
            }
            for (const auto& run : *claimed) StartClaimed(run);
            if (static_cast<int>(claimed->size()) < batch) break;  // the queue has nothing more that may start
        }
        claiming_ = false;
        // A wake that came after the last claim found nothing must not be lost.
        if (!claim_again_.load() || draining_ || claiming_.exchange(true)) co_return;
    }
}

void RunService::StartClaimed(const domain::Run& claimed) {
    if (claimed.attempt > settings_.limits.run_max_attempts) {
        // Claimed (so no other instance is failing it too) after as many interruptions as the limit allows: failed
        // with its reason, not run again.
        asio::post(pools_.blocking, [this, claimed] {
            const int attempts = claimed.attempt - 1;
            spdlog::warn("run {} was interrupted {} times; failing it", claimed.id, attempts);
            auto s = FinishNotStarted(claimed, domain::RunStatus::kFailed, OutOfAttempts(attempts));
            if (!s.ok()) spdlog::error("run {}: {}", claimed.id, s.error().message);
        });
        return;
    }
    std::shared_ptr<ActiveRun> run;
    {
        std::lock_guard lock(mutex_);
        auto it = active_.find(claimed.id);
        if (it != active_.end() && it->second->started) {
            // Our earlier execution of it lost its lease and is still winding down: it stops without writing, and
            // this claim starts afresh with an entry of its own.
            it->second->handed_back = true;
            it->second->cancel_requested = true;
            active_.erase(it);
            it = active_.end();
        }
        if (it != active_.end()) {
            run = it->second;  // submitted here
        } else {
            run = std::make_shared<ActiveRun>();  // submitted elsewhere, or resumed after an interruption
            run->agent = claimed.agent.empty() ? std::string(agents::kSupervisorName) : claimed.agent;
            active_[claimed.id] = run;
        }
        if (auto c = cancels_in_flight_.find(claimed.id); c != cancels_in_flight_.end()) {
            run->cancel_requested = true;  // cancelled between its claim and this moment
            cancels_in_flight_.erase(c);
        }
        // The claim's view (running, this owner, the attempt it counted) with the dataset the submit knew.
        run->run = claimed;
        run->run.attempt = claimed.attempt - 1;  // Execute counts the claim's attempt as attempt + 1
    }
    run->claimed = true;
    run->started = true;
    ++running_here_;
    Spawn(run);
}

void RunService::ReleaseSlot(const ActiveRun& run) {
    if (!run.started) return;
    if (queue_ == QueueMode::kInProcess) {
        scheduler_.Finished(run.AsQueued());
        return;
    }
    --running_here_;
    signals_.SignalWork();  // the thread's next run, or a user's next, may start on another instance now
}

void RunService::OnWorkSignal() { WakeDispatcher(); }

void RunService::OnCancelSignal(const std::string& run_id) {
    std::lock_guard lock(mutex_);
    auto it = active_.find(run_id);
    if (it != active_.end()) {
        it->second->cancel_requested = true;  // executing here (or about to: Execute checks)
    } else if (queue_ == QueueMode::kDatabase) {
        cancels_in_flight_[run_id] = std::chrono::steady_clock::now();  // perhaps claimed here, not yet handed over
    }
}

// The run's input: its request, the thread's user messages up to its own, and every dataset attached to the
// thread or to one of those messages. Blocking (storage).
core::Result<agents::RunInput> RunService::LoadRunInput(storage::Store& store, const ActiveRun& run) {
    agents::RunInput input;
    input.run_id = run.run.id;
    input.thread_id = run.run.thread_id;
    input.user_id = run.run.user_id;
    input.request = run.run.request;
    input.dataset_id = run.dataset_id;
    input.agent = run.agent;
    // Conversation context (§7): every user message of the thread up to this run's own message, and every
    // dataset attached to the thread or to one of those messages (oldest first, so the newest is last).
    auto add_dataset = [&input](const std::string& id) {
        if (std::find(input.dataset_ids.begin(), input.dataset_ids.end(), id) == input.dataset_ids.end()) {
            input.dataset_ids.push_back(id);
        }
    };
    auto attached = store.ListThreadDatasets(run.run.user_id, run.run.thread_id);
    if (!attached.ok()) return attached.error();
    std::sort(attached->begin(), attached->end(),
              [](const domain::Dataset& a, const domain::Dataset& b) { return a.created_at < b.created_at; });
    for (const auto& d : *attached) add_dataset(d.id);
    std::optional<std::string> cursor;
    bool reached_own = false;
    do {
        auto page = store.ListMessages(run.run.user_id, run.run.thread_id, 200, cursor);
        if (!page.ok()) return page.error();
        for (const auto& m : page->data) {
            if (reached_own) break;
            if (m.role == domain::MessageRole::kUser) input.thread_user_messages.push_back(m.content);
            if (m.role == domain::MessageRole::kUser && m.dataset_id) add_dataset(*m.dataset_id);
            if (m.run_id == run.run.id) {
                reached_own = true;
                // A run taken over from storage knows its message's dataset only from the message.
                if (!input.dataset_id && m.dataset_id) input.dataset_id = m.dataset_id;
            }
        }
        cursor = page->next_cursor;
    } while (cursor && !reached_own);
    if (input.thread_user_messages.empty()) input.thread_user_messages.push_back(input.request);
    if (run.dataset_id) add_dataset(*run.dataset_id);  // the message's own dataset is the newest

    return input;
}

namespace {

// What a run needs before its first event: its input, and for a resumed run where its events stop.
struct PreparedRun {
    agents::RunInput input;
    std::int64_t last_seq = 0;  // > 0: the run was interrupted and is resumed after this event
    int attempt = 0;
};

}  // namespace

asio::awaitable<void> RunService::Execute(std::shared_ptr<ActiveRun> run) {
    run->start_time = core::MonoNow();
    Sink sink(*this, *run);
    std::optional<core::Error> failure;
    if (run->cancel_requested) failure = MakeError(ErrorCode::kCancelled, "run cancelled");
    std::optional<PreparedRun> prepared_run;
    if (!failure) {
        auto store = store_;
        const auto lease = settings_.timeouts.run_lease;
        // Claims the run's lease (queued or interrupted → running, attempt + 1); nullopt when another instance
        // claimed it first or it ended meanwhile.
        auto prepare = [store, run, lease, owner = instance_id_]() -> core::Result<std::optional<PreparedRun>> {
            const core::Millis now = core::NowMs();
            if (!run->claimed) {  // the database queue's claim made it ours already
                auto claimed = store->ClaimRun(run->run.id, owner, now + lease.count(), now);
                if (!claimed.ok()) return claimed.error();
                if (!*claimed) return std::optional<PreparedRun>{};
                run->claimed = true;  // from here on the lease keeper renews it
            }
            PreparedRun p;
            auto input = LoadRunInput(*store, *run);
            if (!input.ok()) return input.error();
            p.input = std::move(*input);
            auto last = store->LastEventSeq(run->run.id);
            if (!last.ok()) return last.error();
            p.last_seq = *last;
            if (p.last_seq > 0) {
                domain::EventFilter completed;
                completed.type = domain::EventType::kAgentCompleted;
                auto events = store->ListEvents(run->run.id, completed);
                if (!events.ok()) return events.error();
                for (const auto& e : *events) p.input.completed_agents.push_back(e.agent_name);
            }
            p.attempt = run->run.attempt + 1;  // the claim counted one more attempt than the run was loaded with
            return std::optional<PreparedRun>(std::move(p));
        };
        auto prepared = co_await core::Offload(pools_.blocking, std::move(prepare));
        if (!prepared.ok()) {
            failure = prepared.error();
        } else if (!*prepared) {
            // Taken by another instance (or ended): nothing of it is this process's to run.
            spdlog::info("run {}: claimed elsewhere; not started here", run->run.id);
            Forget(*run);
            ReleaseSlot(*run);
            DispatchStartable();
            co_return;
        } else {
            prepared_run.emplace(std::move(**prepared));
        }
    }
    if (!failure) {
        {
            std::lock_guard lock(run->mutex);
            run->seq = prepared_run->last_seq;  // a resumed run's events continue after its stored ones
        }
        // Built before the co_await: GCC 12 mishandles initializer-list temporaries across a suspension.
        domain::EventType first = domain::EventType::kRunStarted;
        json::object payload;
        payload["status"] = "running";
        if (prepared_run->last_seq == 0) {
            payload["duration_ms"] = 0;
        } else {
            first = domain::EventType::kRunResumed;
            json::array completed;
            for (const auto& a : prepared_run->input.completed_agents) completed.emplace_back(a);
            payload["attempt"] = prepared_run->attempt;
            payload["after_seq"] = prepared_run->last_seq;
            payload["completed_agents"] = std::move(completed);
            payload["reason"] = "the process running it stopped; resumed after its last completed agent";
        }
        core::Status emitted = co_await sink.Emit(first, "", std::move(payload));
        if (!emitted.ok()) failure = emitted.error();
    }
    if (!failure) {
        auto output = co_await supervisor_.Execute(std::move(prepared_run->input), sink, datasets_);
        if (output.ok()) {
            co_await FinishActive(run, domain::RunStatus::kCompleted, std::nullopt, output->report_markdown,
                                  output->result);
            co_return;
        }
        failure = output.error();
    }
    co_await FinishActive(
        run, failure->code == ErrorCode::kCancelled ? domain::RunStatus::kCancelled : domain::RunStatus::kFailed,
        failure, std::nullopt, {});
}

namespace {
// An agent stopped before its first agent_thinking still shows one before its agent_failed, saying why: every agent
// that ran thinks at least once (§6), and a client may rely on it.
json::object StoppedBeforeThinking(const std::string& message) {
    return json::object{{"thought", "Stopped before it began: " + message}, {"step", 1}, {"progress", 100}};
}
}  // namespace

asio::awaitable<void> RunService::FinishActive(std::shared_ptr<ActiveRun> run, domain::RunStatus status,
                                               std::optional<core::Error> error, std::optional<std::string> report,
                                               json::object result) {
    if (run->handed_back) {
        // Shut down mid-run, or its lease lost: the run stays as stored; the next claim resumes it.
        Forget(*run);
        ReleaseSlot(*run);
        DispatchStartable();
        co_return;
    }
    Sink sink(*this, *run);
    std::vector<domain::RunEvent> final_events;
    std::string interrupted_agent, open_tool;
    bool thought = false;
    double tool_ms = 0;
    {
        std::lock_guard lock(run->mutex);
        interrupted_agent = run->current_agent;
        thought = run->current_agent_thought;
        open_tool = run->open_tool;
        if (!open_tool.empty()) tool_ms = core::ElapsedMs(run->tool_start);
    }
    std::string code = error ? std::string(core::WsErrorCode(error->code)) : "";
    if (!open_tool.empty() && error) {
        // Tool events come in pairs (§6): a call cut short by cancellation or a timeout is closed as failed.
        final_events.push_back(sink.Next(
            domain::EventType::kToolCompleted, interrupted_agent,
            json::object{{"tool", open_tool},
                         {"result", json::object{{"error", json::object{{"code", code}, {"message", error->message}}}}},
                         {"duration_ms", tool_ms},
                         {"success", false}}));
    }
    if (!interrupted_agent.empty() && error) {
        if (!thought) {
            final_events.push_back(
                sink.Next(domain::EventType::kAgentThinking, interrupted_agent, StoppedBeforeThinking(error->message)));
        }
        final_events.push_back(
            sink.Next(domain::EventType::kAgentFailed, interrupted_agent,
                      json::object{{"agent", interrupted_agent},
                                   {"error", json::object{{"code", code}, {"message", error->message}}},
                                   {"recoverable", false}}));
    }
    double duration_ms = run->started ? core::ElapsedMs(run->start_time) : 0.0;
    json::object payload{{"status", domain::Name(status)}, {"duration_ms", duration_ms}};
    if (error) payload["error"] = json::object{{"code", code}, {"message", error->message}};
    if (!result.empty()) payload["result"] = result;
    final_events.push_back(sink.Next(domain::TerminalEventFor(status), "", std::move(payload)));

    std::optional<domain::Message> assistant;
    if (report) {
        domain::Message m;
        m.id = core::NewId();
        m.thread_id = run->run.thread_id;
        m.user_id = run->run.user_id;
        m.role = domain::MessageRole::kAssistant;
        m.content = *report;
        m.run_id = run->run.id;
        m.created_at = core::NowMs();
        assistant = std::move(m);
    }
    std::optional<std::string> error_text;
    if (error) error_text = code + ": " + error->message;
    auto store = store_;
    auto finish = [store, run_id = run->run.id, status, error_text, assistant, &final_events, owner = instance_id_] {
        // Fenced: refused when another instance took the run over meanwhile.
        return store->FinishRun(run_id, status, error_text, core::NowMs(), assistant, final_events, owner);
    };
    auto stored = co_await core::Offload(pools_.blocking, std::move(finish));
    if (!stored.ok() && stored.error().code == ErrorCode::kCancelled && status == domain::RunStatus::kCompleted) {
        // A cancel through another instance was recorded before the run could complete: it ends cancelled, as that
        // canceller was promised. The unstored final events give their seqs back first.
        {
            std::lock_guard lock(run->mutex);
            run->seq -= static_cast<std::int64_t>(final_events.size());
        }
        // Named, not temporaries inside the co_await (GCC 12).
        std::optional<core::Error> cancelled = MakeError(ErrorCode::kCancelled, "run cancelled");
        std::optional<std::string> no_report;
        json::object no_result;
        co_await FinishActive(run, domain::RunStatus::kCancelled, std::move(cancelled), std::move(no_report),
                              std::move(no_result));
        co_return;
    }
    if (stored.ok()) {
        for (const auto& e : final_events) sink.Publish(e);
    } else {
        // Nothing unstored is published: the run stays as storage has it, and clients read that.
        spdlog::error("run {}: could not store its end: {}", run->run.id, stored.error().message);
    }
    if (status == domain::RunStatus::kCompleted)
        ++completed_;
    else if (status == domain::RunStatus::kCancelled)
        ++cancelled_;
    else
        ++failed_;
    Forget(*run);
    ReleaseSlot(*run);
    DispatchStartable();
}

core::Status RunService::FinishNotStarted(const domain::Run& run, domain::RunStatus status, const std::string& error) {
    auto last = store_->LastEventSeq(run.id);
    if (!last.ok()) return last.error();
    const char* code = status == domain::RunStatus::kCancelled ? "CANCELLED" : "INTERRUPTED";
    const core::Millis now = core::NowMs();
    std::vector<domain::RunEvent> events;
    auto add = [&](domain::EventType type, std::string agent, json::object payload) {
        domain::RunEvent event;
        event.run_id = run.id;
        event.seq = *last + 1 + static_cast<std::int64_t>(events.size());
        event.type = type;
        event.agent_name = std::move(agent);
        event.payload = core::JsonText(payload);
        event.created_at = now;
        events.push_back(std::move(event));
    };
    // A run failed after its attempts were used up, or cancelled while it waited to resume, was started, even if every
    // attempt was stopped before it wrote its first event: its log starts with run_started like every run that ran
    // (§6). A run cancelled while it waited for its first start never started, and its log is its run_cancelled
    // alone (docs/decisions.md).
    if (*last == 0 && (status == domain::RunStatus::kFailed || run.status == domain::RunStatus::kInterrupted)) {
        add(domain::EventType::kRunStarted, "", json::object{{"status", "running"}, {"duration_ms", 0}});
    }
    // An interrupted run failed without resuming (its attempts used up) or cancelled stopped inside an agent, maybe
    // inside a tool call: those are closed as failed before the terminal event, as FinishActive closes a running
    // run's (tool and agent events come in pairs, §6).
    if (*last > 0) {
        auto open = OpenAgentAndTool(run.id);
        if (!open.ok()) return open.error();
        const std::string message = error.empty() ? "run cancelled" : error;
        const auto& [agent, thought, tool] = *open;
        if (!agent.empty() && !thought) add(domain::EventType::kAgentThinking, agent, StoppedBeforeThinking(message));
        if (!tool.empty()) {
            add(domain::EventType::kToolCompleted, agent,
                json::object{{"tool", tool},
                             {"result", json::object{{"error", json::object{{"code", code}, {"message", message}}}}},
                             {"duration_ms", 0},
                             {"success", false}});
        }
        if (!agent.empty()) {
            add(domain::EventType::kAgentFailed, agent,
                json::object{{"agent", agent},
                             {"error", json::object{{"code", code}, {"message", message}}},
                             {"recoverable", false}});
        }
    }
    json::object payload{{"status", domain::Name(status)}, {"duration_ms", 0}};
    if (!error.empty()) payload["error"] = json::object{{"code", code}, {"message", error}};
    add(domain::TerminalEventFor(status), "", std::move(payload));
    auto s = store_->FinishRun(run.id, status, error.empty() ? std::nullopt : std::optional<std::string>(error), now,
                               std::nullopt, events, std::nullopt);
    if (!s.ok()) return s;
    for (const auto& event : events) PublishStored(publisher_, run, event);
    return core::Ok();
}

// The agent (and the tool call inside it) that a run's stored events leave open: where an interrupted run stopped.
// A run_resumed starts afresh (the agent it was in is run again from its start).
core::Result<RunService::OpenStep> RunService::OpenAgentAndTool(const std::string& run_id) {
    OpenStep open;
    domain::EventFilter filter;
    for (;;) {
        auto page = store_->ListEvents(run_id, filter);
        if (!page.ok()) return page.error();
        for (const auto& e : *page) {
            if (e.type == domain::EventType::kAgentStarted) {
                open = OpenStep{e.agent_name, false, ""};
            } else if (e.type == domain::EventType::kAgentCompleted || e.type == domain::EventType::kAgentFailed ||
                       e.type == domain::EventType::kRunResumed) {
                open = OpenStep{};
            } else if (e.type == domain::EventType::kAgentThinking) {
                open.thought = true;
            } else if (e.type == domain::EventType::kToolExecuting) {
                auto payload = core::ParseJsonObject(e.payload);
                open.tool = payload.ok() ? core::GetString(*payload, "tool").value_or("") : "";
            } else if (e.type == domain::EventType::kToolCompleted) {
                open.tool.clear();
            }
        }
        if (page->size() < static_cast<std::size_t>(filter.limit)) break;
        filter.after_seq = page->back().seq;
    }
    return open;
}

// A cancel that lost a race with the run's own first events (a writer took the seq its terminal event wanted: the
// run is executing after all): the executing run is asked to stop, and the answer is the run's state — cancelling,
// or its final state if it ended meanwhile — never the write conflict.
core::Result<domain::Run> RunService::CancelLiveRun(const std::string& user_id, const std::string& run_id) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = active_.find(run_id); it != active_.end()) it->second->cancel_requested = true;
    }
    // Recorded too: on the database queue the run may execute on another instance, which reads it at renewal.
    if (auto s = store_->RequestCancel(run_id, core::NowMs()); !s.ok()) {
        spdlog::warn("run {}: cancel not recorded: {}", run_id, s.error().message);
    }
    auto stored = store_->GetRun(user_id, run_id);
    if (!stored.ok()) return stored.error();
    if (!*stored) return MakeError(ErrorCode::kNotFound, "run not found");
    domain::Run r = **stored;
    if (!domain::IsFinished(r.status)) r.status = domain::RunStatus::kCancelling;
    return r;
}

core::Result<domain::Run> RunService::Cancel(const std::string& user_id, const std::string& run_id) {
    std::shared_ptr<ActiveRun> active;
    {
        std::lock_guard lock(mutex_);
        auto it = active_.find(run_id);
        if (it != active_.end() && it->second->run.user_id == user_id) active = it->second;
    }
    if (active) {
        if (!active->started && queue_ == QueueMode::kInProcess && scheduler_.RemoveQueued(run_id)) {
            {
                std::lock_guard lock(mutex_);
                active_.erase(run_id);
            }
            if (auto s = FinishNotStarted(active->run, domain::RunStatus::kCancelled, ""); !s.ok()) {
                if (s.error().code != ErrorCode::kConflict) return s.error();
                return CancelLiveRun(user_id, run_id);  // its events are being written meanwhile: it is running
            }
            ++cancelled_;
            domain::Run r = active->run;
            r.status = domain::RunStatus::kCancelled;
            return r;
        }
        if (active->started) {
            // Its terminal event may be out already (stored before it is delivered, §7) while its entry is still
            // here: a client that saw run_completed and cancels gets the run as it ended, not "cancelling".
            auto stored = store_->GetRun(user_id, run_id);
            if (stored.ok() && *stored && domain::IsFinished((*stored)->status)) return **stored;
            active->cancel_requested = true;
            domain::Run r = active->run;
            r.status = domain::RunStatus::kCancelling;
            return r;
        }
        // Database queue, not started: cancelled through the stored row below, unless an instance claims it first.
    }
    auto stored = store_->GetRun(user_id, run_id);
    if (!stored.ok()) return stored.error();
    if (!*stored) return MakeError(ErrorCode::kNotFound, "run not found");
    const domain::RunStatus status = (*stored)->status;
    if (status == domain::RunStatus::kQueued || status == domain::RunStatus::kInterrupted) {
        // Waiting, but not in this process (another instance's queue, or left behind by a failed write): claimed
        // here by the same conditional UPDATE that starts runs, so it is cancelled only if nobody started it.
        const core::Millis now = core::NowMs();
        auto claimed = store_->ClaimRun(run_id, instance_id_, now + settings_.timeouts.run_lease.count(), now);
        if (!claimed.ok()) return claimed.error();
        if (*claimed) {
            {
                std::lock_guard lock(mutex_);
                active_.erase(run_id);  // submitted here and waiting in the database queue
            }
            if (auto s = FinishNotStarted(**stored, domain::RunStatus::kCancelled, ""); !s.ok()) {
                if (s.error().code != ErrorCode::kConflict) return s.error();
                return CancelLiveRun(user_id, run_id);  // its events are being written meanwhile: it is running
            }
            ++cancelled_;
            domain::Run r = **stored;
            r.status = domain::RunStatus::kCancelled;
            return r;
        }
        stored = store_->GetRun(user_id, run_id);  // someone started it meanwhile: its state now
        if (!stored.ok()) return stored.error();
        if (!*stored) return MakeError(ErrorCode::kNotFound, "run not found");
    }
    if ((*stored)->status == domain::RunStatus::kRunning) {
        // Executing: here (claimed since the check above) or on another instance, which the signal reaches.
        {
            std::lock_guard lock(mutex_);
            // Claimed here, maybe not spawned yet: Execute checks the flag before its first event. Not here at all:
            // perhaps claimed by this instance's claimer and not yet handed to StartClaimed, which looks here.
            auto it = active_.find(run_id);
            if (it != active_.end()) {
                it->second->cancel_requested = true;
            } else {
                cancels_in_flight_[run_id] = std::chrono::steady_clock::now();
            }
        }
        // Redis carries it to the owner at once; the row carries it at the owner's next lease renewal if Redis
        // lost it, and keeps the run from completing after this answer.
        auto marked = store_->RequestCancel(run_id, core::NowMs());
        if (!marked.ok()) return marked.error();
        if (!*marked) {
            // It ended meanwhile: its final state is the answer.
            stored = store_->GetRun(user_id, run_id);
            if (!stored.ok()) return stored.error();
            if (!*stored) return MakeError(ErrorCode::kNotFound, "run not found");
            return **stored;
        }
        signals_.SignalCancel(run_id);
        domain::Run r = **stored;
        r.status = domain::RunStatus::kCancelling;
        return r;
    }
    return **stored;
}

core::Result<std::vector<RunStatusInfo>> RunService::Status(const std::string& user_id,
                                                            const std::optional<std::string>& run_id) {
    std::vector<RunStatusInfo> out;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, run] : active_) {
            if (run->run.user_id != user_id || (run_id && *run_id != id)) continue;
            std::lock_guard run_lock(run->mutex);
            out.push_back(RunStatusInfo{id, run->run.thread_id,
                                        run->started ? domain::RunStatus::kRunning : domain::RunStatus::kQueued,
                                        run->current_agent, run->seq});
        }
    }
    if (!run_id && queue_ == QueueMode::kDatabase) {
        // The user's runs waiting or executing anywhere in the cluster (their agent and seq are known only where
        // they execute).
        auto runs = store_->ListUserRunsSince(user_id, core::NowMs() + 1);
        if (!runs.ok()) return runs.error();
        for (const auto& r : *runs) {
            if (std::any_of(out.begin(), out.end(), [&](const RunStatusInfo& o) { return o.run_id == r.id; })) continue;
            out.push_back(RunStatusInfo{r.id, r.thread_id, r.status, "", 0});
        }
    }
    if (run_id && out.empty()) {
        auto stored = store_->GetRun(user_id, *run_id);
        if (!stored.ok()) return stored.error();
        if (!*stored) return MakeError(ErrorCode::kNotFound, "run not found");
        auto seq = store_->LastEventSeq(*run_id);
        if (!seq.ok()) return seq.error();
        out.push_back(RunStatusInfo{(*stored)->id, (*stored)->thread_id, (*stored)->status, "", *seq});
    }
    return out;
}

core::Result<RunView> RunService::Get(const std::string& user_id, const std::string& run_id) {
    auto run = store_->GetRun(user_id, run_id);
    if (!run.ok()) return run.error();
    if (!*run) return MakeError(ErrorCode::kNotFound, "run not found");
    auto seq = store_->LastEventSeq(run_id);
    if (!seq.ok()) return seq.error();
    return RunView{std::move(**run), *seq};
}

void RunService::CancelThreadRuns(const std::string& user_id, const std::string& thread_id) {
    std::vector<std::string> ids;
    if (queue_ == QueueMode::kDatabase) {
        // Waiting or executing anywhere in the cluster.
        auto runs = store_->ListThreadRuns(user_id, thread_id);
        if (runs.ok()) {
            for (const auto& r : *runs) {
                if (r.status == domain::RunStatus::kQueued || r.status == domain::RunStatus::kRunning ||
                    r.status == domain::RunStatus::kInterrupted) {
                    ids.push_back(r.id);
                }
            }
        }
    } else {
        std::lock_guard lock(mutex_);
        for (const auto& [id, run] : active_) {
            if (run->run.user_id == user_id && run->run.thread_id == thread_id) ids.push_back(id);
        }
    }
    for (const auto& id : ids) (void)Cancel(user_id, id);
}

core::Status RunService::Requeue(const domain::Run& run) {
    // The database queue: whichever instance claims it runs it, or fails it when its attempts are used up (the
    // claim makes that instance the only one deciding).
    if (queue_ == QueueMode::kDatabase) {
        WakeDispatcher();
        return core::Ok();
    }
    if (run.attempt >= settings_.limits.run_max_attempts) {
        spdlog::warn("run {} was interrupted {} times; failing it", run.id, run.attempt);
        return FinishNotStarted(run, domain::RunStatus::kFailed, OutOfAttempts(run.attempt));
    }
    auto active = std::make_shared<ActiveRun>();
    active->run = run;
    active->agent = run.agent.empty() ? std::string(agents::kSupervisorName) : run.agent;
    {
        std::lock_guard lock(mutex_);
        if (active_.count(run.id)) return core::Ok();  // already ours
        active_[run.id] = active;
    }
    Schedule(run.id);
    return core::Ok();
}

core::Status RunService::TakeOverExpired() {
    const core::Millis now = core::NowMs();
    auto expired = store_->ListExpiredLeases(now);
    if (!expired.ok()) return expired.error();
    for (const auto& run : *expired) {
        {
            std::lock_guard lock(mutex_);
            // Ours and executing: its lease is renewed by this process. (A run only waiting here — submitted here,
            // executed elsewhere — is no reason to skip it.)
            if (auto it = active_.find(run.id); it != active_.end() && it->second->started) continue;
        }
        auto taken = store_->InterruptExpired(run.id, now, "the server running it stopped (its lease expired)");
        if (!taken.ok()) return taken.error();
        if (!*taken) continue;  // renewed or taken over meanwhile
        spdlog::warn("run {}: lease of {} expired; resuming it here", run.id, run.owner_instance.value_or("?"));
        domain::Run interrupted = run;
        interrupted.status = domain::RunStatus::kInterrupted;
        if (auto s = Requeue(interrupted); !s.ok()) return s;
    }
    return core::Ok();
}

core::Status RunService::Recover() {
    for (auto status : {domain::RunStatus::kQueued, domain::RunStatus::kInterrupted}) {
        if (queue_ == QueueMode::kDatabase && status == domain::RunStatus::kQueued) {
            WakeDispatcher();  // queued runs wait in the database queue already
            continue;
        }
        auto runs = store_->ListRunsByStatus(status);
        if (!runs.ok()) return runs.error();
        for (const auto& run : *runs) {
            // One run that cannot be requeued (or failed) is logged; it does not keep the server from starting.
            if (auto s = Requeue(run); !s.ok()) spdlog::error("recovering run {}: {}", run.id, s.error().message);
        }
    }
    if (auto s = TakeOverExpired(); !s.ok()) return s;
    keeping_leases_ = true;
    asio::co_spawn(lease_timer_.get_executor(), KeepLeases(), [this](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("lease keeper: {}", ex.what());
            }
        }
        keeping_leases_ = false;  // Drain waits for this
    });
    return core::Ok();
}

// Renews this process's leases and takes over expired ones, on timers; storage calls wait on the blocking pool.
asio::awaitable<void> RunService::KeepLeases() {
    const auto check = settings_.timeouts.run_lease_check;
    const auto renew = settings_.timeouts.run_lease_renew;
    auto next_renew = std::chrono::steady_clock::now() + renew;
    auto renewed_at = std::chrono::steady_clock::now();
    // An outage fails every tick (several a second): its first failure and the recovery are logged, not each tick.
    int failing_ticks = 0;
    auto report = [&failing_ticks](const core::Status& renewed, const core::Status& taken) {
        const core::Status& failed = !renewed.ok() ? renewed : taken;
        if (!failed.ok()) {
            if (failing_ticks++ == 0) {
                spdlog::error("lease keeper: {} (further failures are not logged until it recovers)",
                              failed.error().message);
            }
        } else if (failing_ticks > 0) {
            spdlog::info("lease keeper: storage answers again after {} failed checks", failing_ticks);
            failing_ticks = 0;
        }
    };
    while (!draining_) {
        lease_timer_.expires_after(std::min<std::chrono::steady_clock::duration>(check, renew));
        auto [ec] = co_await lease_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || draining_) co_return;
        auto store = store_;
        core::Status renewed = core::Ok();
        if (std::chrono::steady_clock::now() >= next_renew) {
            next_renew = std::chrono::steady_clock::now() + renew;
            const auto until = core::NowMs() + settings_.timeouts.run_lease.count();
            std::vector<std::string> executing;  // only the runs this process is running hold their leases
            {
                std::lock_guard lock(mutex_);
                for (const auto& [id, run] : active_) {
                    // Only runs whose claim committed hold a lease: a run started a moment ago may not yet.
                    if (run->claimed && !run->handed_back) executing.push_back(id);
                }
            }
            // Named, not a temporary inside the co_await: GCC 12 destroys such temporaries twice.
            auto renew_leases = [store, owner = instance_id_, executing, until] {
                return store->RenewLeases(owner, executing, until);
            };
            auto held = co_await core::Offload(pools_.blocking, std::move(renew_leases));
            if (held.ok()) {
                renewed_at = std::chrono::steady_clock::now();
                for (const auto& id : executing) {
                    auto lease = std::find_if(held->begin(), held->end(),
                                              [&](const storage::Store::HeldLease& h) { return h.run_id == id; });
                    if (lease == held->end()) {
                        LoseRun(id, "another instance took it over after its lease lapsed");
                    } else if (lease->cancel_requested) {
                        OnCancelSignal(id);  // cancelled through another instance while its signal was lost
                    }
                }
            } else {
                renewed = held.error();
                // Unrenewed this long, the leases have lapsed or are about to: another instance may be resuming
                // these runs, so this one stops them without writing anything more (a fence on our side).
                if (std::chrono::steady_clock::now() - renewed_at > settings_.timeouts.run_lease - renew) {
                    for (const auto& id : executing) LoseRun(id, "its lease could not be renewed");
                }
            }
        }
        {
            // A cancel that found its run executing elsewhere left an entry that no claim here will take.
            std::lock_guard lock(mutex_);
            const auto stale = std::chrono::steady_clock::now() - std::chrono::minutes(1);
            std::erase_if(cancels_in_flight_, [&](const auto& c) { return c.second < stale; });
        }
        auto take_over = [this] { return TakeOverExpired(); };
        core::Status taken = co_await core::Offload(pools_.blocking, std::move(take_over));
        report(renewed, taken);
        // The database queue's safety net: a work signal lost with Redis still gets its run claimed.
        if (queue_ == QueueMode::kDatabase) WakeDispatcher();
    }
}

void RunService::LoseRun(const std::string& run_id, const std::string& why) {
    std::lock_guard lock(mutex_);
    auto it = active_.find(run_id);
    if (it == active_.end() || it->second->handed_back) return;
    spdlog::warn("run {}: stopped here without finishing it: {}", run_id, why);
    it->second->handed_back = true;  // FinishActive writes nothing for it
    it->second->cancel_requested = true;
}

void RunService::Drain(std::chrono::milliseconds drain) {
    draining_ = true;  // from here on no claim starts a run and the lease keeper stops at its next check
    asio::post(lease_timer_.get_executor(), [this] { lease_timer_.cancel(); });
    auto deadline = std::chrono::steady_clock::now() + drain;
    // The claimer and the lease keeper end first (a claim in flight hands its runs back, a take-over in flight
    // requeues its run before the list below is taken); then runs in flight finish. This waits on the shutdown
    // thread, never an I/O thread. Whatever is still going at the deadline ends before the run pool's join returns.
    while ((claiming_ || keeping_leases_ || RunningCount() > 0) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::vector<std::shared_ptr<ActiveRun>> rest;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, run] : active_) rest.push_back(run);
    }
    for (const auto& run : rest) {
        if (run->handed_back) continue;  // lost to another instance already: not ours to mark
        run->handed_back = true;
        run->cancel_requested = true;
        // A run waiting in the database queue stays queued there for the other instances.
        if (queue_ == QueueMode::kDatabase && !run->started) continue;
        // Fenced: a run whose end was stored meanwhile stays as it ended, and one never claimed stays queued.
        auto handed = store_->HandBackRun(run->run.id, instance_id_, "server shut down");
        if (!handed.ok()) spdlog::warn("run {}: not handed back: {}", run->run.id, handed.error().message);
    }
}

}  // namespace netra::runs
