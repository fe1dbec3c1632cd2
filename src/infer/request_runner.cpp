#include "setok/infer/request_runner.h"

#include <limits>
#include <set>
#include <sstream>

#include <c10/util/Exception.h>

#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "setok/runtime/progress.h"

namespace setok::infer {

namespace fs = std::filesystem;

namespace {

// "id" (or the fallback field) as text, or an error message.
std::string id_of(const io::Json& j, std::string* error, const std::string& fallback = "") {
  const bool fall_back = !j.contains("id") && !fallback.empty() && j.contains(fallback);
  if (!j.contains("id") && !fall_back) {
    *error = fallback.empty() ? "needs an \"id\"" : "needs \"" + fallback + "\" (a string)";
    return "";
  }
  const io::Json& id = fall_back ? j[fallback] : j["id"];
  if (id.is_string() && !id.get<std::string>().empty()) return id.get<std::string>();
  if (id.is_number_integer()) return std::to_string(id.get<int64_t>());
  *error = "\"id\" must be a non-empty string or an integer";
  return "";
}

// Ids answered by an earlier run (a torn last line is ignored: that request runs again).
std::set<std::string> answered_ids(const fs::path& results) {
  std::set<std::string> done;
  if (!fs::exists(results)) return done;
  std::istringstream in(io::read_file(results));
  for (std::string line; std::getline(in, line);) {
    try {
      const io::Json j = io::Json::parse(line);
      std::string error;
      const std::string id = j.is_object() ? id_of(j, &error) : "";
      if (!id.empty()) done.insert(id);
    } catch (const io::Json::exception&) {
    }
  }
  return done;
}

}  // namespace

fs::path request_file(const Request& request, const char* field, const fs::path& root) {
  const fs::path given = request.fields[field].get<std::string>();
  return given.is_absolute() ? given : root / given;
}

io::Json RequestError::to_json() const {
  io::Json j = {{"line", line}};
  if (!id.empty()) j["id"] = id;
  j["error"] = error;
  return j;
}

RequestList read_request_list(const fs::path& path, const std::vector<std::string>& fields,
                              const std::string& id_fallback) {
  RequestList list;
  std::istringstream in(io::read_file(path));
  std::set<std::string> seen;
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    RequestError bad{number, "", ""};
    io::Json j;
    try {
      j = io::Json::parse(line);
    } catch (const io::Json::parse_error& e) {
      bad.error = "invalid JSON: " + std::string(e.what());
      list.bad.push_back(bad);
      continue;
    }
    if (!j.is_object()) {
      bad.error = "expected an object, got " + std::string(j.type_name());
      list.bad.push_back(bad);
      continue;
    }
    bad.id = id_of(j, &bad.error, id_fallback);
    for (const auto& f : fields) {
      if (!bad.error.empty()) break;
      if (!j.contains(f) || !j[f].is_string()) bad.error = "needs \"" + f + "\" (a string)";
    }
    if (bad.error.empty() && !seen.insert(bad.id).second)
      bad.error = "id " + bad.id + " appears on an earlier line";
    if (!bad.error.empty()) {
      list.bad.push_back(bad);
      continue;
    }
    list.requests.push_back({number, bad.id, std::move(j)});
  }
  return list;
}

RunnerSummary run_requests(
    const RequestList& list, const RunnerOptions& o,
    const std::function<std::vector<RequestOutcome>(const std::vector<Request>&)>& handle) {
  if (o.batch_size < 1) throw Error("--batch must be >= 1");
  fs::create_directories(o.out_dir);
  const fs::path results_path = o.out_dir / o.results_file;
  const std::set<std::string> done = answered_ids(results_path);
  io::JsonlWriter results(results_path, /*truncate=*/false);
  io::JsonlWriter errors(o.out_dir / "errors.jsonl", /*truncate=*/true);
  RunnerSummary s;
  auto fail = [&](const RequestError& e) {
    errors.write(e.to_json());
    ++s.failed;
    if (o.strict)
      throw Error("line " + std::to_string(e.line) + (e.id.empty() ? "" : " (id " + e.id + ")") +
                  ": " + e.error);
  };
  // Errors and results go out in the list's order: a bad line is written when the run passes it.
  size_t next_bad = 0;
  auto fail_bad_lines_before = [&](int64_t line) {
    while (next_bad < list.bad.size() && list.bad[next_bad].line < line) fail(list.bad[next_bad++]);
  };
  std::vector<Request> pending;  // not yet answered
  for (const auto& r : list.requests) {
    if (done.count(r.id)) {
      ++s.already;
    } else {
      pending.push_back(r);
    }
  }
  runtime::ProgressOptions po;
  po.label = o.label;
  po.unit = "req";
  po.total = static_cast<int64_t>(pending.size());
  runtime::Progress progress(po);
  for (size_t start = 0; start < pending.size(); start += static_cast<size_t>(o.batch_size)) {
    const size_t end = std::min(pending.size(), start + static_cast<size_t>(o.batch_size));
    const std::vector<Request> batch(pending.begin() + static_cast<std::ptrdiff_t>(start),
                                     pending.begin() + static_cast<std::ptrdiff_t>(end));
    fail_bad_lines_before(batch.front().line);
    std::vector<RequestOutcome> outcomes;
    try {
      outcomes = handle(batch);
      if (outcomes.size() != batch.size())
        throw Error("internal: " + std::to_string(outcomes.size()) + " outcomes for " +
                    std::to_string(batch.size()) + " requests");
    } catch (const Error& e) {
      outcomes.assign(batch.size(), {io::Json(), e.what()});
    } catch (const c10::Error& e) {
      outcomes.assign(batch.size(), {io::Json(), e.what_without_backtrace()});
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      fail_bad_lines_before(batch[i].line);
      if (!outcomes[i].error.empty()) {
        fail({batch[i].line, batch[i].id, outcomes[i].error});
        continue;
      }
      // The id as the request wrote it (or, taken from another field, as text).
      io::Json row = {
          {"id", batch[i].fields.contains("id") ? batch[i].fields["id"] : io::Json(batch[i].id)}};
      for (auto& [k, v] : outcomes[i].result.items()) row[k] = v;
      results.write(row);
      ++s.answered;
      s.empty += outcomes[i].empty_answer;
    }
    progress.update(static_cast<int64_t>(batch.size()));
  }
  fail_bad_lines_before(std::numeric_limits<int64_t>::max());
  progress.finish();
  return s;
}

}  // namespace setok::infer
