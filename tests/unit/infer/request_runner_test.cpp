// The request runner without a model: bad lines, results and errors in the list's order, resume
// from results.jsonl (a torn last line runs again), --strict, a failing batch.
#include "setok/infer/request_runner.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::infer {
namespace {

using test::error_of;

// Echoes the question upper-cased; "boom" fails its request.
std::vector<RequestOutcome> echo(const std::vector<Request>& batch) {
  std::vector<RequestOutcome> out;
  for (const auto& r : batch) {
    std::string q = r.fields["q"].get<std::string>();
    if (q == "boom") {
      out.push_back({{}, "it went boom"});
      continue;
    }
    for (char& c : q) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back({{{"answer", q}}, ""});
  }
  return out;
}

TEST(RequestRunner, BadLinesAndResultsInOrderThenResume) {
  test::TempDir dir;
  io::write_file_atomic(dir / "list.jsonl",
                        "{\"id\": 1, \"q\": \"a\"}\n"      // 1
                        "{\"id\": \"x\"}\n"                // 2: no q
                        "\n"                               // 3: skipped
                        "{\"id\": 2, \"q\": \"boom\"}\n"   // 4: fails when run
                        "{\"q\": \"no id\"}\n"             // 5
                        "{\"id\": 1, \"q\": \"again\"}\n"  // 6: repeated
                        "{\"id\": [1], \"q\": \"b\"}\n"    // 7: bad id
                        "{\"id\": \"3\", \"q\": \"c\"}\n"  // 8
                        "{\"id\": 4, \"q\": 5}\n");        // 9: q not a string
  const RequestList list = read_request_list(dir / "list.jsonl", {"q"});
  ASSERT_EQ(list.requests.size(), 3u);
  ASSERT_EQ(list.bad.size(), 5u);
  EXPECT_EQ(list.bad[0].line, 2);
  EXPECT_EQ(list.bad[0].id, "x");
  EXPECT_EQ(list.bad[0].error, "needs \"q\" (a string)");
  EXPECT_EQ(list.bad[1].error, "needs an \"id\"");
  EXPECT_EQ(list.bad[2].error, "id 1 appears on an earlier line");
  EXPECT_EQ(list.bad[3].error, "\"id\" must be a non-empty string or an integer");
  EXPECT_EQ(list.bad[4].line, 9);
  RunnerOptions o;
  o.out_dir = dir / "out";
  o.batch_size = 2;
  const RunnerSummary s = run_requests(list, o, echo);
  EXPECT_EQ(s.answered, 2);
  EXPECT_EQ(s.failed, 6);
  const auto results = io::read_jsonl(dir / "out" / "results.jsonl");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0], io::Json({{"answer", "A"}, {"id", 1}}));
  EXPECT_EQ(results[1], io::Json({{"answer", "C"}, {"id", "3"}}));
  std::vector<int64_t> lines;
  for (const auto& e : io::read_jsonl(dir / "out" / "errors.jsonl"))
    lines.push_back(e["line"].get<int64_t>());
  EXPECT_EQ(lines, (std::vector<int64_t>{2, 4, 5, 6, 7, 9}));  // the list's order
  // A re-run skips answered ids; a torn last line (a killed run) does not count as answered.
  io::write_file_atomic(dir / "out" / "results.jsonl",
                        io::read_file(dir / "out" / "results.jsonl") + "{\"id\": 2, \"ans");
  const RunnerSummary again = run_requests(list, o, echo);
  EXPECT_EQ(again.already, 2);
  EXPECT_EQ(again.answered, 0);
  EXPECT_EQ(again.failed, 6);  // request 2 ran again (and failed again)
}

TEST(RequestRunner, StrictStopsAtTheFirstErrorAndBatchesFailWhole) {
  test::TempDir dir;
  io::write_file_atomic(dir / "list.jsonl",
                        "{\"id\": 1, \"q\": \"a\"}\n{\"id\": 2, \"q\": \"boom\"}\n"
                        "{\"id\": 3, \"q\": \"c\"}\n");
  const RequestList list = read_request_list(dir / "list.jsonl", {"q"});
  RunnerOptions o;
  o.out_dir = dir / "strict";
  o.batch_size = 1;
  o.strict = true;
  EXPECT_NE(error_of([&] { run_requests(list, o, echo); }).find("line 2 (id 2): it went boom"),
            std::string::npos);
  EXPECT_EQ(io::read_jsonl(dir / "strict" / "results.jsonl").size(), 1u);  // what came before
  o.strict = false;
  o.batch_size = 2;
  o.out_dir = dir / "throws";
  const RunnerSummary s = run_requests(list, o, [](const std::vector<Request>& b) {
    if (b.size() == 2) throw Error("out of memory, say");
    return echo(b);
  });
  EXPECT_EQ(s.failed, 2);  // the first batch, whole
  EXPECT_EQ(s.answered, 1);
  EXPECT_EQ(io::read_jsonl(dir / "throws" / "errors.jsonl")[0]["error"], "out of memory, say");
  o.batch_size = 0;
  EXPECT_NE(error_of([&] { run_requests(list, o, echo); }).find("--batch must be >= 1"),
            std::string::npos);
}

TEST(RequestRunner, CountsEmptyAnswers) {
  test::TempDir dir;
  io::write_file_atomic(dir / "list.jsonl",
                        "{\"id\": 1, \"q\": \"a\"}\n{\"id\": 2, \"q\": \"\"}\n"
                        "{\"id\": 3, \"q\": \"\"}\n{\"id\": 4, \"q\": \"boom\"}\n");
  const RequestList list = read_request_list(dir / "list.jsonl", {"q"});
  RunnerOptions o;
  o.out_dir = dir / "out";
  const RunnerSummary s = run_requests(list, o, [](const std::vector<Request>& b) {
    std::vector<RequestOutcome> out = echo(b);
    for (auto& r : out) r.empty_answer = r.error.empty() && r.result["answer"] == "";
    return out;
  });
  EXPECT_EQ(s.answered, 3);
  EXPECT_EQ(s.empty, 2);  // written all the same, and counted
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(io::read_jsonl(dir / "out" / "results.jsonl").size(), 3u);
}

}  // namespace
}  // namespace setok::infer
