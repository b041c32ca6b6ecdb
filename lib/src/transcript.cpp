#include "fraudscan/transcript.hpp"

#include <re2/re2.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>

namespace fraudscan {
namespace {

// A speaker label at the start of `line`: up to 16 letters or digits of any script
// (full-width included), '_' or '-', format characters (zero-width), and an optional
// " 12" suffix, then an ASCII or full-width colon. On success, return true with the
// label (format characters removed) and the byte offset where the spoken text starts.
// ICU's character properties, not a regex: this runs on every line of every input.
bool ParseSpeakerLabel(std::string_view line, std::string* speaker, std::size_t* content) {
  const auto* s = reinterpret_cast<const uint8_t*>(line.data());
  const auto len = static_cast<int32_t>(line.size());
  int32_t i = 0;
  while (i < len && (s[i] == ' ' || s[i] == '\t')) ++i;
  int chars = 0;
  std::string label;
  while (i < len && chars <= 16) {
    const int32_t at = i;
    UChar32 c;
    U8_NEXT(s, i, len, c);
    if (c < 0) return false;
    if (c == ':' || c == 0xFF1A) {
      if (chars == 0) return false;
      while (!label.empty() && label.back() == ' ') label.pop_back();
      while (i < len && (s[i] == ' ' || s[i] == '\t')) ++i;
      *speaker = std::move(label);
      *content = static_cast<std::size_t>(i);
      return true;
    }
    if (u_charType(c) == U_FORMAT_CHAR) continue;
    const bool ok = u_isalnum(c) || c == '_' || c == '-' || (c == ' ' && chars > 0 && i < len && s[i] >= '0' && s[i] <= '9');
    if (!ok) return false;
    label.append(line.substr(static_cast<std::size_t>(at), static_cast<std::size_t>(i - at)));
    ++chars;
  }
  return false;
}

const RE2& HeaderLine() {
  static const RE2 re(R"(^#[ \t]*(expect|must-hit|must-not-hit|min-risk|max-risk|note)[ \t]*:[ \t]*(.*?)[ \t\r]*$)");
  return re;
}

struct Line {
  std::size_t begin, end;  // without the newline
};

std::vector<Line> SplitLines(std::string_view doc) {
  std::vector<Line> lines;
  std::size_t pos = 0;
  while (pos <= doc.size()) {
    std::size_t nl = doc.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (pos < doc.size()) lines.push_back({pos, doc.size()});
      break;
    }
    lines.push_back({pos, nl});
    pos = nl + 1;
  }
  return lines;
}

}  // namespace

Transcript ParsePlainText(std::string id, std::string document) {
  Transcript t;
  t.id = std::move(id);
  t.document = std::move(document);
  const std::string_view doc = t.document;
  std::vector<Line> lines = SplitLines(doc);

  std::size_t first = 0;
  for (; first < lines.size(); ++first) {
    re2::StringPiece line(doc.data() + lines[first].begin, lines[first].end - lines[first].begin);
    std::string key, value;
    if (!RE2::FullMatch(line, HeaderLine(), &key, &value)) break;
    t.header.emplace_back(key, value);
  }

  struct Labelled {
    std::string speaker;
    std::size_t content_begin;
  };
  std::vector<Labelled> labels(lines.size());
  int labelled = 0;
  for (std::size_t i = first; i < lines.size(); ++i) {
    const std::string_view line = doc.substr(lines[i].begin, lines[i].end - lines[i].begin);
    std::string speaker;
    std::size_t content = 0;
    if (ParseSpeakerLabel(line, &speaker, &content)) {
      labels[i] = {speaker, lines[i].begin + content};
      ++labelled;
    } else {
      labels[i] = {"", lines[i].begin};
    }
  }
  const bool use_speakers = labelled >= 2;
  std::string current;
  for (std::size_t i = first; i < lines.size(); ++i) {
    Turn turn;
    if (use_speakers && !labels[i].speaker.empty()) {
      current = labels[i].speaker;
      turn.begin = labels[i].content_begin;
    } else {
      turn.begin = lines[i].begin;
    }
    turn.speaker = use_speakers ? current : std::string();
    turn.end = lines[i].end;
    if (turn.end > turn.begin && doc[turn.end - 1] == '\r') --turn.end;
    if (turn.end > turn.begin) t.turns.push_back(std::move(turn));
  }
  return t;
}

Transcript FromTurns(std::string id, const std::vector<std::pair<std::string, std::string>>& turns) {
  Transcript t;
  t.id = std::move(id);
  for (const auto& [speaker, text] : turns) {
    if (!speaker.empty()) {
      t.document += speaker;
      t.document += "：";
    }
    Turn turn{speaker, t.document.size(), 0};
    t.document += text;
    turn.end = t.document.size();
    t.document += '\n';
    t.turns.push_back(std::move(turn));
  }
  return t;
}

LineColumn LocateOffset(std::string_view document, std::size_t offset) {
  offset = std::min(offset, document.size());
  LineColumn lc;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (document[i] == '\n') {
      ++lc.line;
      line_start = i + 1;
    }
  }
  for (std::size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(document[i]) & 0xC0) != 0x80) ++lc.column;
  }
  return lc;
}

}  // namespace fraudscan
