#include "input.hpp"

#include <fmt/format.h>
#include <fnmatch.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <iterator>

#include "fraudscan/decode.hpp"

namespace fraudscan::cli {

namespace fs = std::filesystem;

namespace {

std::string Describe(const std::error_code& ec) { return ec.message(); }

bool IsJsonlName(const fs::path& p) {
  const auto ext = p.extension();
  return ext == ".jsonl" || ext == ".ndjson";
}

// Read `in` to the end into `*out`. Return false on a read error.
bool Slurp(std::istream& in, std::string* out) {
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

bool GlobMatch(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0;
}

struct InputStream::JsonlState {
  std::string name;
  std::ifstream file;
  std::istream* in = nullptr;
  uint64_t line = 0;
  std::string buf;
  simdjson::ondemand::parser parser;
  std::vector<char> io_buffer;
};

InputStream::InputStream(std::vector<std::string> paths, InputOptions options) : options_(std::move(options)) {
  if (paths.empty()) paths.push_back("-");
  pending_.assign(paths.begin(), paths.end());
}

InputStream::~InputStream() = default;

bool InputStream::Excluded(const fs::path& path) const {
  const std::string file = path.filename().string();
  const std::string full = path.generic_string();
  return std::any_of(options_.exclude.begin(), options_.exclude.end(),
                     [&](const std::string& g) { return GlobMatch(g, file) || GlobMatch(g, full); });
}

bool InputStream::Wanted(const fs::path& path) const {
  const std::string file = path.filename().string();
  const std::string full = path.generic_string();
  auto matches = [&](const std::string& g) { return GlobMatch(g, file) || GlobMatch(g, full); };
  if (!options_.include.empty() && std::none_of(options_.include.begin(), options_.include.end(), matches)) {
    return false;
  }
  return !Excluded(path);
}

void InputStream::Expand(const std::string& path) {
  if (path == "-") {
    if (options_.format == InputFormat::jsonl) {
      jsonl_ = std::make_unique<JsonlState>();
      jsonl_->name = "<stdin>";
      jsonl_->in = &std::cin;
      return;
    }
    Job job;
    job.name = "<stdin>";
    std::string bytes;
    if (!Slurp(std::cin, &bytes)) {
      job.error = "cannot read standard input";
    } else {
      job.bytes = bytes.size();
      DecodeOptions d{options_.encoding};
      Decoded decoded = Decode(bytes, d);
      if (!decoded.error.empty()) {
        job.error = decoded.error;
      } else if (decoded.binary) {
        job.error = "standard input looks binary (NUL bytes); not scanned";
      } else {
        if (decoded.invalid_bytes > 0) {
          job.warnings.push_back(
              fmt::format("{} invalid byte sequence(s) replaced by U+FFFD", decoded.invalid_bytes));
        }
        job.transcript = ParsePlainText(job.name, std::move(decoded.text));
      }
    }
    ready_.push_back(std::move(job));
    return;
  }
  std::error_code ec;
  const fs::path p(path);
  const auto status = fs::status(p, ec);
  if (ec || !fs::exists(status)) {
    Job job;
    job.name = path;
    job.error = ec ? Describe(ec) : "no such file or directory";
    ready_.push_back(std::move(job));
    return;
  }
  if (!fs::is_directory(status)) {
    files_.push_back(p);
    return;
  }
  std::vector<fs::path> found;
  auto it = fs::recursive_directory_iterator(p, fs::directory_options::none, ec);
  if (ec) {
    Job job;
    job.name = path;
    job.error = Describe(ec);
    ready_.push_back(std::move(job));
    return;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      Job job;
      job.name = path;
      job.error = Describe(ec);
      ready_.push_back(std::move(job));
      break;
    }
    const std::string fname = it->path().filename().string();
    if (!fname.empty() && fname[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec)) {
      if (Excluded(it->path())) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec) && !fs::exists(it->path(), ec)) {
      Job job;
      job.name = it->path().string();
      job.error = "broken symbolic link";
      ready_.push_back(std::move(job));
      continue;
    }
    if (it->is_regular_file(ec) && Wanted(it->path())) found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  files_.insert(files_.end(), found.begin(), found.end());
}

void InputStream::ReadFile(const fs::path& path, const std::string& name, Job* job) const {
  job->name = name;
  std::ifstream in(path, std::ios::binary);
  std::string bytes;
  if (!in) {
    job->error = fmt::format("cannot open: {}", std::strerror(errno));
    return;
  }
  if (!Slurp(in, &bytes)) {
    job->error = fmt::format("read error: {}", std::strerror(errno));
    return;
  }
  job->bytes = bytes.size();
  DecodeOptions d{options_.encoding};
  Decoded decoded = Decode(bytes, d);
  if (!decoded.error.empty()) {
    job->error = decoded.error;
    return;
  }
  if (decoded.binary) {
    job->note = "binary file skipped";
    return;
  }
  if (decoded.invalid_bytes > 0) {
    job->warnings.push_back(
        fmt::format("not valid {}: {} invalid byte sequence(s) replaced by U+FFFD", decoded.encoding,
                    decoded.invalid_bytes));
  }
  job->transcript = ParsePlainText(name, std::move(decoded.text));
}

bool InputStream::NextJsonl(Job* job) {
  JsonlState& st = *jsonl_;
  std::string& line = st.buf;
  while (true) {
    if (!std::getline(*st.in, line)) {
      if (st.in->bad()) {
        job->name = st.name;
        job->error = fmt::format("read error after line {}", st.line);
        job->from_jsonl = true;
        job->line = st.line;
        st.in->clear(std::ios::eofbit);
        return true;
      }
      return false;
    }
    ++st.line;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) break;
  }
  job->from_jsonl = true;
  job->line = st.line;
  job->bytes = line.size() + 1;
  job->name = fmt::format("{}:{}", st.name, st.line);
  const std::size_t size = line.size();
  line.reserve(size + simdjson::SIMDJSON_PADDING);
  std::string id;
  bool have_id = false, have_text = false, have_turns = false;
  std::string text;
  std::vector<std::pair<std::string, std::string>> turns;
  try {
    simdjson::padded_string_view view(line.data(), size, line.capacity());
    simdjson::ondemand::document doc = st.parser.iterate(view);
    simdjson::ondemand::object obj = doc.get_object();
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      simdjson::ondemand::value value = field.value();
      if (key == "id") {
        switch (value.type()) {
          case simdjson::ondemand::json_type::string:
            id = std::string(std::string_view(value.get_string()));
            break;
          case simdjson::ondemand::json_type::number:
            id = std::string(simdjson::to_json_string(value).value());
            break;
          default:
            throw std::runtime_error("\"id\" must be a string or a number");
        }
        have_id = true;
      } else if (key == "text") {
        text = std::string(std::string_view(value.get_string()));
        have_text = true;
      } else if (key == "turns") {
        for (auto turn_value : value.get_array()) {
          simdjson::ondemand::object turn = turn_value.get_object();
          std::string speaker, said;
          for (auto tf : turn) {
            std::string_view tk = tf.unescaped_key();
            if (tk == "speaker") {
              speaker = std::string(std::string_view(tf.value().get_string()));
            } else if (tk == "text") {
              said = std::string(std::string_view(tf.value().get_string()));
            }
          }
          turns.emplace_back(std::move(speaker), std::move(said));
        }
        have_turns = true;
      }
    }
  } catch (const simdjson::simdjson_error& e) {
    job->error = fmt::format("line {}: invalid JSON: {}", st.line, e.what());
    return true;
  } catch (const std::runtime_error& e) {
    job->error = fmt::format("line {}: {}", st.line, e.what());
    return true;
  }
  if (!have_text && !have_turns) {
    job->error = fmt::format("line {}: record has neither \"text\" nor \"turns\"", st.line);
    if (have_id) job->name = id;
    return true;
  }
  if (!have_id) id = job->name;
  job->name = id;
  job->transcript = have_turns && !have_text ? FromTurns(id, turns) : ParsePlainText(id, std::move(text));
  return true;
}

bool InputStream::NextBatch(std::vector<Job>* batch, std::size_t max_jobs, std::size_t max_bytes) {
  batch->clear();
  std::size_t bytes = 0;
  while (batch->size() < max_jobs && bytes < max_bytes) {
    if (!ready_.empty()) {
      batch->push_back(std::move(ready_.front()));
      ready_.pop_front();
      continue;
    }
    if (jsonl_) {
      Job job;
      if (NextJsonl(&job)) {
        bytes += job.bytes;
        batch->push_back(std::move(job));
        continue;
      }
      jsonl_.reset();
      continue;
    }
    if (!files_.empty()) {
      fs::path file = std::move(files_.front());
      files_.pop_front();
      const bool jsonl = options_.format == InputFormat::jsonl ||
                         (options_.format == InputFormat::automatic && IsJsonlName(file));
      if (jsonl) {
        auto st = std::make_unique<JsonlState>();
        st->name = file.string();
        st->io_buffer.resize(1 << 20);
        st->file.rdbuf()->pubsetbuf(st->io_buffer.data(), static_cast<std::streamsize>(st->io_buffer.size()));
        st->file.open(file, std::ios::binary);
        if (!st->file) {
          Job job;
          job.name = file.string();
          job.error = fmt::format("cannot open: {}", std::strerror(errno));
          batch->push_back(std::move(job));
          continue;
        }
        st->in = &st->file;
        jsonl_ = std::move(st);
        continue;
      }
      Job job;
      ReadFile(file, file.string(), &job);
      bytes += job.bytes;
      batch->push_back(std::move(job));
      continue;
    }
    if (!pending_.empty()) {
      std::string path = std::move(pending_.front());
      pending_.pop_front();
      Expand(path);
      continue;
    }
    break;
  }
  return !batch->empty();
}

}  // namespace fraudscan::cli
