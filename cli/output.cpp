#include "output.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace fraudscan::cli {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kRed = "\x1b[1;31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kReset = "\x1b[0m";

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Append `s` as a JSON string (quoted and escaped by nlohmann-json; bad UTF-8 replaced).
void AppendJsonString(std::string* out, std::string_view s) { out->append(Dump(Json(s))); }

// Return up to `chars` code points of `s` before `end` (from the start of its line).
std::string_view TailChars(std::string_view s, std::size_t chars) {
  std::size_t line = s.rfind('\n');
  if (line != std::string_view::npos) s.remove_prefix(line + 1);
  std::size_t i = s.size();
  while (i > 0 && chars > 0) {
    --i;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    --chars;
  }
  return s.substr(i);
}

// Return up to `chars` code points of `s` (up to the end of its line).
std::string_view HeadChars(std::string_view s, std::size_t chars) {
  s = s.substr(0, s.find('\n'));
  std::size_t i = 0;
  while (i < s.size() && chars > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --chars;
  }
  return s.substr(0, i);
}

std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

// Return the bytes of `line` taken by the turn's speaker label ("客服：", "A: "), which
// the explanation shows on its own; 0 when the line does not start with `speaker`.
std::size_t LabelLength(std::string_view line, std::string_view speaker) {
  if (speaker.empty() || !line.starts_with(speaker)) return 0;
  std::size_t n = speaker.size();
  for (std::string_view sep : {"：", ":", " ", "\t"}) {
    while (line.substr(n).starts_with(sep)) n += sep.size();
  }
  return n;
}

std::string Snippet(const std::string& doc, const Evidence& e, bool color) {
  std::string_view d(doc);
  std::string_view line = d.substr(0, e.offset);
  if (const std::size_t nl = line.rfind('\n'); nl != std::string_view::npos) line.remove_prefix(nl + 1);
  line.remove_prefix(std::min(line.size(), LabelLength(d.substr(e.offset - line.size()), e.speaker)));
  std::string_view before = TailChars(line, 12);
  std::string_view after = HeadChars(d.substr(e.offset + e.length), 12);
  if (color) return fmt::format("{}{}{}{}{}", OneLine(before), kRed, OneLine(e.text), kReset, OneLine(after));
  return fmt::format("{}[{}]{}", OneLine(before), OneLine(e.text), OneLine(after));
}

std::string LabelText(const Result& r, bool color) {
  const bool flagged = r.label != "none";
  std::string label = flagged ? fmt::format("{} {}", r.label, LabelNameZh(r.label)) : "none";
  if (!color) return label;
  return fmt::format("{}{}{}", flagged ? kRed : kGreen, label, kReset);
}

}  // namespace

std::string CsvHeader() {
  return "id,label,risk,task_rebate,fake_shopping,impersonation_cs,fake_investment,fake_loan_credit,moves,benign,"
         "top_rule,top_text\n";
}

static std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string FormatResult(const Job& job, const Result& r, const OutputOptions& o) {
  const Transcript& t = *job.transcript;
  switch (o.format) {
    case OutputFormat::jsonl: {
      // The record has a fixed shape, so it is written field by field; nlohmann-json
      // escapes every string (building a generic value per record was a fifth of the
      // scan time). The bytes are those of the ordered_json dump this replaced.
      std::string out;
      out.reserve(256 + r.evidence.size() * 160);
      auto str = [&](std::string_view v) { AppendJsonString(&out, v); };
      auto num = [&](double v) { out += Json(v).dump(); };
      auto list = [&](std::string_view key, const std::vector<std::string>& values) {
        fmt::format_to(std::back_inserter(out), ",\"{}\":[", key);
        for (std::size_t n = 0; n < values.size(); ++n) {
          if (n > 0) out += ',';
          str(values[n]);
        }
        out += ']';
      };
      out += "{\"id\":";
      str(r.id);
      if (!job.from_jsonl) {
        out += ",\"path\":";
        str(job.name);
      }
      out += ",\"label\":";
      str(r.label);
      out += ",\"label_zh\":";
      str(LabelNameZh(r.label));
      fmt::format_to(std::back_inserter(out), ",\"risk\":{},\"scores\":{{", r.risk);
      for (int i = 0; i < kFraudTypeCount; ++i) {
        if (i > 0) out += ',';
        str(TypeName(kFraudTypes[static_cast<std::size_t>(i)]));
        out += ':';
        num(std::round(r.score.types[static_cast<std::size_t>(i)] * 1000) / 1000);
      }
      out += "},\"moves\":";
      num(std::round(r.score.moves * 1000) / 1000);
      out += ",\"benign\":";
      num(std::round(r.score.benign * 1000) / 1000);
      out += ",\"evidence\":[";
      for (std::size_t k = 0; k < r.evidence.size(); ++k) {
        const Evidence& e = r.evidence[k];
        out += k > 0 ? ",{\"rule\":" : "{\"rule\":";
        str(e.rule_id);
        out += ",\"type\":";
        str(TypeName(e.type));
        out += ",\"weight\":";
        num(e.weight);
        out += ",\"text\":";
        str(e.text);
        fmt::format_to(std::back_inserter(out), ",\"line\":{},\"column\":{},\"offset\":{},\"length\":{},\"speaker\":",
                       e.line, e.column, e.offset, e.length);
        str(e.speaker);
        if (!e.normalizations.empty()) list("normalizations", e.normalizations);
        if (o.explain) {
          out += ",\"normalized\":";
          str(e.normalized);
          out += ",\"description\":";
          str(e.description);
        }
        out += '}';
      }
      out += ']';
      if (!job.warnings.empty()) list("warnings", job.warnings);
      out += "}\n";
      return out;
    }
    case OutputFormat::csv: {
      std::string line = fmt::format("{},{},{}", CsvField(r.id), r.label, r.risk);
      for (double s : r.score.types) line += fmt::format(",{:.3f}", s);
      line += fmt::format(",{:.3f},{:.3f}", r.score.moves, r.score.benign);
      if (!r.evidence.empty()) {
        line += "," + CsvField(r.evidence.front().rule_id) + "," + CsvField(OneLine(r.evidence.front().text));
      } else {
        line += ",,";
      }
      return line + "\n";
    }
    case OutputFormat::text:
      break;
  }
  std::string out = fmt::format("{}{}{}: {} risk={}", o.color ? kBold : "", job.name, o.color ? kReset : "",
                                LabelText(r, o.color), r.risk);
  if (!r.evidence.empty() && !o.explain) {
    const Evidence& e = r.evidence.front();
    out += fmt::format("  {} \"{}\" {}:{}", e.rule_id, OneLine(e.text), e.line, e.column);
    std::size_t rules = 0;
    std::string last;
    for (const auto& x : r.evidence) {
      if (x.rule_id != last) ++rules;
      last = x.rule_id;
    }
    if (rules > 1) out += fmt::format(" (+{} more rule{})", rules - 1, rules > 2 ? "s" : "");
  }
  out += '\n';
  if (o.explain) {
    out += fmt::format("  scores:");
    for (int i = 0; i < kFraudTypeCount; ++i) {
      out += fmt::format(" {}={:.2f}", TypeName(kFraudTypes[static_cast<std::size_t>(i)]),
                         r.score.types[static_cast<std::size_t>(i)]);
    }
    out += fmt::format(" moves={:.2f} benign={:.2f}\n", r.score.moves, r.score.benign);
    for (const Evidence& e : r.evidence) {
      if (e.part == 0) {
        out += fmt::format("  {}{}{} ({}, weight {:.2f}): {}\n", o.color ? kYellow : "", e.rule_id,
                           o.color ? kReset : "", TypeName(e.type), e.weight, e.description);
      }
      std::string speaker = e.speaker.empty() ? "" : fmt::format(" {}：", e.speaker);
      out += fmt::format("    {}{}:{}{}{} {}", o.color ? kDim : "", e.line, e.column, speaker, o.color ? kReset : "",
                         Snippet(t.document, e, o.color));
      if (e.normalized != e.text || !e.normalizations.empty()) {
        std::string how;
        for (const auto& k : e.normalizations) how += (how.empty() ? "" : ", ") + k;
        out += fmt::format("  (matched as {}{}{})", OneLine(e.normalized), how.empty() ? "" : ": ", how);
      }
      out += '\n';
    }
  }
  return out;
}

std::string FormatJsonError(const Job& job) {
  Json j;
  j["id"] = job.name;
  if (job.from_jsonl) j["line"] = job.line;
  j["error"] = job.error;
  return Dump(j) + "\n";
}

}  // namespace fraudscan::cli
