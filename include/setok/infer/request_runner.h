#pragma once
// Batch inference over a JSONL request list (`setok_infer vqa | caption | ...`,
// docs/inference.md). One request per line, `{"id", ...}`; every request gets exactly one line
// in OUT/results.jsonl or OUT/errors.jsonl:
//   - a bad line (malformed JSON, not an object, no usable "id", a repeated id, a missing or
//     wrongly typed field) and a request that fails while running (missing or undecodable image)
//     become {"line": N, "id": ... (when readable), "error": "..."} in errors.jsonl, and the
//     others still run — unless `strict`, which stops at the first with an error;
//   - results are appended as they are produced and flushed, so a killed run keeps them; a
//     re-run with the same OUT skips the ids results.jsonl already answers (errors.jsonl is
//     rewritten: it lists this run's failures).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "setok/io/json.h"

namespace setok::infer {

struct Request {
  int64_t line = 0;  // 1-based line of the list file
  std::string id;    // integer ids as their decimal text
  io::Json fields;   // the whole object
};

// The file a request's `field` (a string) names: as given when absolute, else under `root`.
std::filesystem::path request_file(const Request& request, const char* field,
                                   const std::filesystem::path& root);

struct RequestError {
  int64_t line = 0;
  std::string id;  // empty when unreadable
  std::string error;
  io::Json to_json() const;
};

struct RequestList {
  std::vector<Request> requests;
  std::vector<RequestError> bad;  // lines that are not requests
};

// Reads `path`: each non-empty line an object with an "id" (string or integer, unique) and the
// `string_fields` as strings; without an "id", the `id_fallback` field (when given) is the id.
// Never throws for a bad line (only for an unreadable file).
RequestList read_request_list(const std::filesystem::path& path,
                              const std::vector<std::string>& string_fields,
                              const std::string& id_fallback = "");

// What a batch handler returns per request: a result object (the runner adds "id"), or an error.
struct RequestOutcome {
  io::Json result;
  std::string error;          // non-empty: the request failed
  bool empty_answer = false;  // a text task's answer came back empty (still a result)
};

struct RunnerOptions {
  std::filesystem::path out_dir;
  std::string results_file = "results.jsonl";  // in out_dir
  int64_t batch_size = 8;
  bool strict = false;
  std::string label = "requests";  // progress label
};

struct RunnerSummary {
  int64_t answered = 0;  // results written by this run
  int64_t failed = 0;    // errors written by this run (bad lines included)
  int64_t already = 0;   // skipped: answered by an earlier run
  int64_t empty = 0;     // of `answered`: text answers that came back empty
  int64_t total() const { return answered + failed + already; }
};

// Runs `handle` over the list's requests in batches of options.batch_size (the ids already in
// OUT/results.jsonl skipped), writing OUT/results.jsonl and OUT/errors.jsonl. An exception from
// `handle` fails the whole batch's requests (with its message). With `strict`, the first error
// in the list's order (bad line or failed request) is thrown as setok::Error after the results
// before it are written. Results and errors are written in the list's order.
RunnerSummary run_requests(
    const RequestList& list, const RunnerOptions& options,
    const std::function<std::vector<RequestOutcome>(const std::vector<Request>&)>& handle);

}  // namespace setok::infer
