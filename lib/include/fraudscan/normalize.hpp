// normalize: UTF-8 text -> the canonical form rules are written against, with a map
// from every normalized byte back to the byte of the original it came from.
//
// Steps, applied per code point in one pass through tables built once from ICU:
//   - Unicode NFKC with case folding (ICU's nfkc_cf): full-width ASCII, circled and
//     styled letters and digits become plain ASCII, upper case becomes lower case,
//     default-ignorable characters (zero-width space/joiners, U+FEFF...) disappear;
//   - carriage returns disappear (CRLF and LF texts normalize alike).
// Per-code-point application ignores canonical composition across code points
// (base letter + combining accent); Chinese text does not use it.
//
// Example:
//   fraudscan::Normalizer norm;            // builds its tables; share it across threads
//   fraudscan::NormalizedText out;
//   norm.Append("ＶＸ：ＡＢＣ", /*source_offset=*/0, &out);
//   // out.text == "vx:abc"; out.origin[k] is the source byte of out.text[k]
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fraudscan {

// --- Interface ---

struct NormalizedText {
  std::string text;  // normalized UTF-8
  // origin[k] = byte offset, in the source, of the code point that produced text[k].
  // Kept in step with `text`; call Finish() to add the end sentinel.
  std::vector<uint32_t> origin;

  // Return the source byte offset where the normalized range [begin, end) ends.
  // REQUIRES: Finish() was called.
  uint32_t SourceEnd(std::size_t end) const { return origin[end]; }
  // Append the sentinel origin entry for `source_end`; text.size()+1 == origin.size().
  void Finish(uint32_t source_end) { origin.push_back(source_end); }
  void Clear() {
    text.clear();
    origin.clear();
  }
};

class Normalizer {
 public:
  // Build the per-code-point tables (about 10 ms). Thread-safe to use afterwards.
  Normalizer();

  // Normalize `source` (UTF-8) and append it to `*out`, recording for each output
  // byte the offset `source_offset + k` of the code point it came from.
  // Ill-formed UTF-8 becomes U+FFFD.
  void Append(std::string_view source, std::size_t source_offset, NormalizedText* out) const;

  // Return `source` normalized, without the offset map (rule keywords, examples).
  std::string Normalize(std::string_view source) const;

 private:
  struct Entry {
    uint32_t pool_offset;  // into pool_
    uint8_t length;        // bytes of replacement; 0 = remove
    bool identity;         // the code point maps to itself
  };
  std::vector<Entry> bmp_;   // one entry per BMP code point
  std::string pool_;         // replacement strings, UTF-8
  std::string MapSupplementary(uint32_t cp) const;
};

}  // namespace fraudscan
