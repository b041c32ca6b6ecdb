#include "fraudscan/transcript.hpp"

#include <re2/re2.h>

#include <algorithm>

namespace fraudscan {
namespace {

// A speaker label: up to 12 Han/Latin/digit characters (with inner spaces for
// "Speaker 1"), then an ASCII or full-width colon.
const RE2& SpeakerLabel() {
  // Letters and digits of any script (full-width included) and format characters, so
  // that "说\u200b话人１：" is still a label.
  static const RE2 re(R"(^[ \t]*([\p{L}\p{N}_\-\p{Cf}]{1,16}(?: ?[0-9]{1,3})?)[ \t]*[:：][ \t]*)");
  return re;
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
    re2::StringPiece line(doc.data() + lines[i].begin, lines[i].end - lines[i].begin);
    re2::StringPiece input = line;
    std::string speaker;
    if (RE2::Consume(&input, SpeakerLabel(), &speaker)) {
      static const RE2 format_chars(R"(\p{Cf})");
      RE2::GlobalReplace(&speaker, format_chars, "");
      labels[i] = {speaker, static_cast<std::size_t>(input.data() - doc.data())};
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
