#pragma once
// Progress of long work (training steps, inference batches, data generation): count, rate and
// ETA. On a terminal one line updates in place; otherwise (logs, CI, batch jobs) a plain line is
// written every `plain_interval_s` seconds, so log files stay readable.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

namespace setok::runtime {

struct ProgressOptions {
  std::string label = "progress";
  std::string unit = "it";
  int64_t total = 0;               // 0 = unknown (no percentage / ETA)
  int64_t start = 0;               // count already done (a resumed run); excluded from the rate
  double tty_interval_s = 0.1;     // redraw period on a terminal
  double plain_interval_s = 10.0;  // line period otherwise
  std::ostream* out = nullptr;     // default: std::cerr
  std::optional<bool> tty;         // default: isatty(stderr) when out is std::cerr
  std::function<double()> clock;   // seconds; default: steady clock (tests inject one)
};

class Progress {
 public:
  explicit Progress(ProgressOptions options);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Adds `n` finished units; `postfix` (e.g. "loss 0.412") is shown after the numbers.
  void update(int64_t n = 1, const std::string& postfix = "");
  // Writes the final line (always, whatever the interval). Called by the destructor if needed.
  void finish();

  int64_t count() const { return count_; }
  double elapsed() const;
  double rate() const;                        // units per second since start
  std::optional<double> eta_seconds() const;  // needs a total and a positive rate
  std::string render() const;                 // the current line, without control characters

 private:
  void emit(bool final_line);

  ProgressOptions options_;
  bool tty_ = false;
  double start_ = 0.0;
  double last_emit_ = 0.0;
  int64_t count_ = 0;
  std::string postfix_;
  bool finished_ = false;
};

// "1:02:03" / "02:03" for a duration in seconds.
std::string format_duration(double seconds);

}  // namespace setok::runtime
