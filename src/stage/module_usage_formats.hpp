#pragma once
// Module 3 — agent_pipeline: the usage-export checks (issue 8), one per format the server reads. Registered into
// module 3's list by AgentPipelineTests().
#include <vector>

#include "stage/suite.hpp"

namespace netra::stage {

std::vector<TestCase> UsageFormatTests();

}  // namespace netra::stage
