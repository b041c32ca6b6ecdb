// transcript: one conversation to classify, as a document plus speaker turns.
//
// The document is the UTF-8 text that evidence offsets and line:column refer to: a
// decoded file, or for a JSON Lines record with "turns", the turns written out as
// "speaker：text" lines. Each turn is a byte range of the document holding what was
// said (the speaker label excluded) and the speaker's label, possibly empty.
//
// Plain text files: a line such as "客服：…", "A: …" or "说话人1：…" starts a turn of
// that speaker when at least two lines of the file look like that; unlabelled lines
// continue the current turn's speaker. Otherwise every line is a turn with no
// speaker. Leading "# expect: …" style header lines (corpus expectations, see
// docs/corpus.md) are kept in the document but are not part of any turn.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fraudscan {

// --- Interface ---

struct Turn {
  std::string speaker;  // label as written ("客服", "A", "说话人1"), or empty
  std::size_t begin = 0;  // byte range of the spoken text in the document
  std::size_t end = 0;
};

struct Transcript {
  std::string id;        // path or record id
  std::string document;  // UTF-8
  std::vector<Turn> turns;
  // Header expectations ("expect", "must-hit", ...), in file order, when present.
  std::vector<std::pair<std::string, std::string>> header;
};

// Return the transcript of a plain-text document (see the file comment).
Transcript ParsePlainText(std::string id, std::string document);

// Return a transcript built from (speaker, text) turns; the document is the turns
// written as "speaker：text" lines ("text" alone when the speaker is empty).
Transcript FromTurns(std::string id, const std::vector<std::pair<std::string, std::string>>& turns);

// Line and column (both 1-based; the column counts code points) of byte `offset`.
struct LineColumn {
  int line = 1;
  int column = 1;
};
LineColumn LocateOffset(std::string_view document, std::size_t offset);

}  // namespace fraudscan
