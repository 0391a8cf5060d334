// The project's fake OpenAI-compatible server (src/llm/testing) as a process, for benchmarks: every
// /v1/chat/completions request is answered as an SSE stream of --text after --delay-ms, with --usage-tokens as
// the reported usage. Prints `listening on http://127.0.0.1:PORT` once ready and serves until SIGTERM/SIGINT.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "llm/testing/fake_openai_server.hpp"

int main(int argc, char** argv) {
    CLI::App app{"netra_fake_openai: a scriptable OpenAI-compatible server on loopback"};
    int port = 0;
    int delay_ms = 2000;
    int usage_tokens = 120;
    std::string text = "Caching and right-sizing are the biggest levers in these results.";
    app.add_option("--port", port, "only 0 (a free port the kernel picks) is supported")->check(CLI::Range(0, 0));
    app.add_option("--delay-ms", delay_ms, "wait before the answer's text")->check(CLI::Range(0, 600000));
    app.add_option("--usage-tokens", usage_tokens, "total_tokens reported in the usage event")
        ->check(CLI::Range(0, 1 << 30));
    app.add_option("--text", text, "the answer's text");
    CLI11_PARSE(app, argc, argv);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server's threads start: they inherit the mask

    netra::llm::testing::FakeOpenAiServer server;
    auto reply = netra::llm::testing::FakeReply::Stream({text});
    reply.chunk_delay = std::chrono::milliseconds(delay_ms);
    reply.usage_total_tokens = usage_tokens;
    server.SetDefault(reply);
    std::cout << "listening on " << server.BaseUrl() << std::endl;  // endl flushes: the launcher reads this line

    int received = 0;
    sigwait(&signals, &received);
    std::cerr << "signal " << received << ": " << server.RequestCount() << " requests served" << std::endl;
    server.Stop();
    return 0;
}
