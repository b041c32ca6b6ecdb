// `fraudscan scan`: classify transcripts from files, directories and stdin.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <cstdio>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "common.hpp"
#include "input.hpp"
#include "output.hpp"

namespace fraudscan::cli {

namespace po = boost::program_options;

namespace {

constexpr const char* kScanUsage = R"(Usage: fraudscan scan [OPTIONS] [PATH...]

Classify Chinese call transcripts and chat logs: does each follow one of the five
common fraud scripts (task_rebate 刷单返利, fake_shopping 虚假购物, impersonation_cs
冒充电商物流客服, fake_investment 虚假投资理财, fake_loan_credit 贷款代办信用卡),
which one, how risky (0-100), and why.

PATH is a file (plain text: one transcript; *.jsonl: one JSON record per line,
{"id":…,"text":…} or {"id":…,"turns":[{"speaker":…,"text":…}]}), a directory
(scanned recursively; hidden and binary files skipped), or - for stdin (the default).

Exit status: 0 nothing at or above the threshold, 1 at least one transcript at or
above it, 2 an error occurred (reported on stderr; the rest is still scanned).

Environment: FRAUDSCAN_RULES (rule paths, ':'-separated), FRAUDSCAN_CACHE_DIR (parsed and
compiled rule sets; default ~/.cache/fraudscan, empty: no cache), FRAUDSCAN_SHIPPED_CACHE
(where the build left the shipped rule set precompiled, copied into a cache that lacks
it; empty: none), FRAUDSCAN_MATCHER (the literal pass: trie, the default; hyperscan on
x86-64; re2-set), NO_COLOR.

Examples:
  fraudscan scan corpus/                          # one line per transcript
  asr-tool call.wav | fraudscan scan -            # pipe a transcript in
  fraudscan scan --explain suspicious.txt         # every rule and matched text
  fraudscan scan --output jsonl -j4 dir/ | jq 'select(.risk >= 70) | .id'
  fraudscan scan --input-format jsonl - < records.jsonl > verdicts.jsonl
  fraudscan scan -l --threshold 70 inbox/         # just the paths that are risky

Options)";

struct ScanConfig {
  std::vector<std::string> paths;
  std::vector<std::string> rules;
  std::string output = "text";
  std::string input_format = "auto";
  std::string color = "auto";
  std::string encoding;
  std::vector<std::string> include, exclude;
  int threshold = 50;
  double homophone_weight = 1.0;
  int min_risk = 0;
  int jobs = 0;
  bool list = false;
  bool quiet = false;
  bool explain = false;
  bool no_progress = false;
};

// A fixed set of threads that run the same task together, batch after batch. The
// threads live as long as the scan: per-thread state (scratch space, the regex
// automata each thread has built) is kept warm across batches.
class WorkerPool {
 public:
  explicit WorkerPool(int threads) {
    for (int i = 1; i < threads; ++i) {
      threads_.emplace_back([this](std::stop_token stop) { Loop(stop); });
    }
  }
  ~WorkerPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
  }
  // Run `task` on every thread of the pool and the caller's; return when all finished.
  void Run(const std::function<void()>& task) {
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      ++generation_;
      running_ = static_cast<int>(threads_.size());
    }
    wake_.notify_all();
    task();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return running_ == 0; });
    task_ = nullptr;
  }

 private:
  void Loop(std::stop_token) {
    uint64_t seen = 0;
    while (true) {
      const std::function<void()>* task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        task = task_;
      }
      (*task)();
      {
        std::lock_guard lock(mutex_);
        --running_;
      }
      done_.notify_one();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void()>* task_ = nullptr;
  uint64_t generation_ = 0;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::jthread> threads_;  // last: joined first on destruction
};

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(Clock::now()), last_(start_) {}
  void Update(std::size_t transcripts, std::size_t bytes) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(250) || now - start_ < std::chrono::seconds(1)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r\x1b[Kfraudscan: %zu transcripts, %.1f MB, %.0f/s", transcripts, bytes / 1e6,
                 transcripts / secs);
    shown_ = true;
  }
  void Finish() {
    if (shown_) std::fprintf(stderr, "\r\x1b[K");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool shown_ = false;
  Clock::time_point start_, last_;
};

}  // namespace

int RunScan(const std::vector<std::string>& args) {
  ScanConfig c;
  po::options_description desc(kScanUsage);
  desc.add_options()
      ("help,h", "show this help")
      ("rules,r", po::value(&c.rules)->composing(),
       "rule file or directory, repeatable (default: $FRAUDSCAN_RULES, else the installed rule set)")
      ("output,o", po::value(&c.output)->default_value("text"), "output format: text, jsonl or csv")
      ("input-format", po::value(&c.input_format)->default_value("auto"),
       "auto (*.jsonl files are JSON Lines, the rest plain text), text or jsonl (also for stdin)")
      ("threshold,t", po::value(&c.threshold)->default_value(50), "risk (0-100) at or above which a transcript is labelled")
      ("min-risk", po::value(&c.min_risk)->default_value(0), "only show transcripts with at least this risk")
      ("homophone-weight", po::value(&c.homophone_weight)->default_value(1.0, "1"),
       "weight multiplier (0-1) of a rule that matched through homophones (speech-recognition errors)")
      ("files-with-matches,l", po::bool_switch(&c.list), "only print the paths/ids at or above the threshold")
      ("quiet,q", po::bool_switch(&c.quiet), "print nothing; the exit status tells")
      ("explain,e", po::bool_switch(&c.explain), "show every piece of evidence with its context and normalized form")
      ("color", po::value(&c.color)->default_value("auto"), "auto, always or never")
      ("jobs,j", po::value(&c.jobs)->default_value(0), "worker threads (default: number of cores); output order is stable")
      ("include", po::value(&c.include)->composing(), "in directories, only scan files matching this glob (repeatable)")
      ("exclude", po::value(&c.exclude)->composing(), "in directories, skip files matching this glob (repeatable)")
      ("encoding", po::value(&c.encoding), "force the input encoding (ICU name: GB18030, UTF-16LE, Big5…)")
      ("no-progress", po::bool_switch(&c.no_progress), "no progress line on stderr");
  if (ParseCommandLine(args, desc, "path", &c.paths)) return kExitClean;

  OutputOptions out;
  if (c.output == "text") {
    out.format = OutputFormat::text;
  } else if (c.output == "jsonl" || c.output == "json") {
    out.format = OutputFormat::jsonl;
  } else if (c.output == "csv") {
    out.format = OutputFormat::csv;
  } else {
    throw UsageError(fmt::format("unknown --output '{}' (text, jsonl or csv)", c.output));
  }
  InputOptions in;
  if (c.input_format == "auto") {
    in.format = InputFormat::automatic;
  } else if (c.input_format == "text") {
    in.format = InputFormat::text;
  } else if (c.input_format == "jsonl") {
    in.format = InputFormat::jsonl;
  } else {
    throw UsageError(fmt::format("unknown --input-format '{}' (auto, text or jsonl)", c.input_format));
  }
  if (c.threshold < 0 || c.threshold > 100) throw UsageError("--threshold must be between 0 and 100");
  if (!(c.homophone_weight >= 0 && c.homophone_weight <= 1)) throw UsageError("--homophone-weight must be between 0 and 1");
  if (c.color == "always") {
    out.color = true;
  } else if (c.color == "never") {
    out.color = false;
  } else if (c.color == "auto") {
    out.color = ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  } else {
    throw UsageError(fmt::format("unknown --color '{}' (auto, always or never)", c.color));
  }
  out.color = out.color && out.format == OutputFormat::text;
  out.explain = c.explain;
  out.threshold = c.threshold;
  in.include = c.include;
  in.exclude = c.exclude;
  in.encoding = c.encoding;
  int jobs = c.jobs > 0 ? c.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  ScoreOptions score;
  score.threshold = c.threshold;
  score.homophone_factor = c.homophone_weight;
  std::unique_ptr<Engine> engine = BuildEngine(ResolveRulePaths(c.rules), score, false);
  if (!engine) return kExitError;

  InputStream input(c.paths, in);
  Progress progress(!c.quiet && !c.no_progress && ::isatty(STDERR_FILENO));
  bool errors = false, flagged = false;
  std::size_t total = 0, total_bytes = 0;
  std::vector<Job> batch;
  std::vector<Result> results;
  std::vector<std::string> formatted;
  if (out.format == OutputFormat::csv && !c.quiet && !c.list) WriteStdout(CsvHeader());

  const std::size_t max_jobs = jobs > 1 ? 1024 : 64;
  WorkerPool pool(jobs);
  // A reader thread parses the next batches while the pool scans the current one.
  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<std::vector<Job>> queue;
  bool input_done = false;
  std::exception_ptr reader_error;
  std::jthread reader([&](std::stop_token stop) {
    try {
      std::vector<Job> next;
      while (!stop.stop_requested() && input.NextBatch(&next, max_jobs, std::size_t{8} << 20)) {
        std::unique_lock lock(queue_mutex);
        queue_cv.wait(lock, [&] { return queue.size() < 2 || stop.stop_requested(); });
        queue.push_back(std::move(next));
        next = {};
        queue_cv.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(queue_mutex);
      reader_error = std::current_exception();
    }
    std::lock_guard lock(queue_mutex);
    input_done = true;
    queue_cv.notify_all();
  });
  auto next_batch = [&](std::vector<Job>* into) {
    std::unique_lock lock(queue_mutex);
    queue_cv.wait(lock, [&] { return !queue.empty() || input_done; });
    if (queue.empty()) {
      if (reader_error) std::rethrow_exception(reader_error);
      return false;
    }
    *into = std::move(queue.front());
    queue.pop_front();
    queue_cv.notify_all();
    return true;
  };
  // On an early exit (a closed pipe), stop the reader before the stream goes away.
  struct StopReader {
    std::jthread& t;
    std::condition_variable& cv;
    ~StopReader() {
      t.request_stop();
      cv.notify_all();
    }
  } stop_reader{reader, queue_cv};
  while (next_batch(&batch)) {
    results.assign(batch.size(), Result{});
    formatted.assign(batch.size(), std::string());
    // Workers scan and also format, so that the main thread only writes.
    auto work = [&](std::atomic<std::size_t>& next) {
      for (std::size_t i; (i = next.fetch_add(1)) < batch.size();) {
        if (!batch[i].transcript) continue;
        results[i] = engine->Scan(*batch[i].transcript);
        const Result& r = results[i];
        if (!c.quiet && !c.list && r.risk >= c.min_risk) formatted[i] = FormatResult(batch[i], r, out);
      }
    };
    std::atomic<std::size_t> next{0};
    pool.Run([&] { work(next); });
    std::string buffer;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Job& job = batch[i];
      total_bytes += job.bytes;
      for (const auto& w : job.warnings) std::fprintf(stderr, "fraudscan: warning: %s: %s\n", job.name.c_str(), w.c_str());
      if (!job.note.empty()) std::fprintf(stderr, "fraudscan: note: %s: %s\n", job.name.c_str(), job.note.c_str());
      if (!job.error.empty()) {
        errors = true;
        std::fprintf(stderr, "fraudscan: error: %s: %s\n", job.name.c_str(), job.error.c_str());
        if (out.format == OutputFormat::jsonl && !c.quiet && !c.list) buffer += FormatJsonError(job);
        continue;
      }
      if (!job.transcript) continue;
      ++total;
      const Result& r = results[i];
      const bool at_threshold = r.risk >= c.threshold;
      flagged = flagged || at_threshold;
      if (c.quiet) continue;
      if (c.list) {
        if (at_threshold) buffer += job.name + "\n";
        continue;
      }
      if (r.risk < c.min_risk) continue;
      buffer += formatted[i];
    }
    WriteStdout(buffer);
    progress.Update(total, total_bytes);
  }
  progress.Finish();
  FlushStdout();
  // Freeing the compiled rule set (tens of thousands of small objects) would take
  // longer than everything else a short scan does; the process is about to exit, so
  // leave that memory to the OS. (A global keeps it reachable for leak checkers.)
  [[maybe_unused]] static const Engine* kept_until_exit = nullptr;
  kept_until_exit = engine.release();
  if (errors) return kExitError;
  return flagged ? kExitFlagged : kExitClean;
}

}  // namespace fraudscan::cli
