#pragma once
// A tiny catalog and usage log whose every figure is computed by hand in the tests.
#include "analysis/catalog.hpp"
#include "domain/records.hpp"

namespace netra::analysis::testing {

inline const Catalog& TinyCatalog() {
    static const Catalog kCatalog = LoadCatalog(R"({"as_of":"2025-01-01","models":[
        {"provider":"p","model":"big","input_per_mtok":10,"output_per_mtok":30,"cached_input_per_mtok":1,
         "batch_discount":0.5,"context_window":100000,"tier":"frontier","typical_latency_ms":2000},
        {"provider":"p","model":"mid","input_per_mtok":1,"output_per_mtok":3,"cached_input_per_mtok":0.1,
         "batch_discount":0.5,"context_window":100000,"tier":"mid","typical_latency_ms":500},
        {"provider":"q","model":"small","input_per_mtok":0.5,"output_per_mtok":1.5,"context_window":8000,
         "tier":"small","typical_latency_ms":300}]})")
                                        .value();
    return kCatalog;
}

inline constexpr core::Millis kHour = 3'600'000;

inline domain::UsageRecord Rec(core::Millis ts, const char* model, std::int64_t in, std::int64_t out,
                               const char* prompt_hash, const char* prefix_hash, const char* feature, double latency,
                               bool batchable = false, bool success = true) {
    domain::UsageRecord r;
    r.ts = ts;
    r.model = model;
    r.provider = "p";
    r.input_tokens = in;
    r.output_tokens = out;
    r.cost_usd = TinyCatalog().CostUsd(model, in, out, 0);
    r.prompt_hash = prompt_hash;
    r.prefix_hash = prefix_hash;
    r.feature = feature;
    r.latency_ms = latency;
    r.batchable = batchable;
    r.success = success;
    return r;
}

// Costs: r1 = r2 = (1000*10 + 200*30)/1e6 = 0.016; r3 = (5000*10 + 100*30)/1e6 = 0.053;
// r4 = (100*1 + 100*3)/1e6 = 0.0004. Total 0.0854 over exactly 2 days → monthly factor 15.
inline std::vector<domain::UsageRecord> TinyLog() {
    const core::Millis t0 = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
    return {
        Rec(t0, "big", 1000, 200, "A", "X", "f1", 1000),
        Rec(t0 + kHour, "big", 1000, 200, "A", "X", "f1", 3000),
        Rec(t0 + 24 * kHour, "big", 5000, 100, "B", "X", "f1", 2000, true, false),
        Rec(t0 + 48 * kHour, "mid", 100, 100, "C", "", "f2", 400),
    };
}

}  // namespace netra::analysis::testing
