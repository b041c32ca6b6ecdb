// normalize: UTF-8 text -> the canonical form rules are written against, with a map
// from every normalized byte back to the byte of the original it came from.
//
// One pass over the text, through per-code-point tables built once (from ICU data
// generated at build time, see tools/gen_unitables.cpp):
//   1. NFKC with case folding (ICU nfkc_cf): full-width ASCII, circled and styled
//      letters and digits become plain ASCII, upper case becomes lower case, and
//      default-ignorable characters (zero-width spaces and joiners, U+FEFF…) vanish;
//      carriage returns vanish too.
//   2. Traditional -> Simplified Chinese (ICU's transform, per character), then the
//      character variants of the rule set (rules/variants.yaml: 帳 -> 账 …).
//   3. Separator runs (spaces, ·•*-_|/\~. and symbols such as emoji) between two
//      characters are dropped unless both neighbours are ASCII letters or digits:
//      刷·单 -> 刷单, V 信 -> v信, but "iphone 15" stays.
//   4. Chinese digits become ASCII where they form a number: runs of three or more of
//      〇零一二三四五六七八九幺 (一三八… -> 138…), and the financial numerals 壹贰叁… always.
// Per-code-point application ignores canonical composition across code points
// (base letter + combining accent); Chinese text does not use it.
//
// A second view, HomophoneKey(), replaces every Han character by one representative
// of its toneless pinyin syllable (返力 and 返利 become the same), with the same byte
// lengths, so the offset map serves both views. Rules ask for it with `pinyin: true`.
//
// Example:
//   fraudscan::Normalizer norm;            // builds its tables; share it across threads
//   fraudscan::NormalizedText out;
//   norm.Append("加Ｖ·信：ＡＢＣ", /*source_offset=*/0, &out);
//   // out.text == "加v信:abc"; out.origin[k] is the source byte of out.text[k]
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fraudscan {

// --- Interface ---

struct NormalizedText {
  std::string text;  // normalized UTF-8
  // origin[k] = byte offset, in the source, of the code point that produced text[k].
  // Kept in step with `text`; call Finish() to add the end sentinel.
  std::vector<uint32_t> origin;

  // Append the sentinel origin entry for `source_end`; text.size()+1 == origin.size().
  void Finish(uint32_t source_end) { origin.push_back(source_end); }
  void Clear() {
    text.clear();
    origin.clear();
  }
};

struct NormalizerOptions {
  // Extra character foldings applied after Traditional->Simplified (code point ->
  // code point), from the rule set's variants file.
  std::map<char32_t, char32_t> character_variants;
};

class Normalizer {
 public:
  // Build the per-code-point tables (a few ms). Thread-safe to use afterwards.
  explicit Normalizer(const NormalizerOptions& options = {});

  // Return the options this normalizer was built with.
  const NormalizerOptions& options() const { return options_; }

  // Normalize `source` (UTF-8) and append it to `*out`, recording for each output
  // byte the offset `source_offset + k` of the code point it came from.
  // Ill-formed UTF-8 becomes U+FFFD.
  void Append(std::string_view source, std::size_t source_offset, NormalizedText* out) const;

  // Return `source` normalized, without the offset map (rule keywords, examples).
  std::string Normalize(std::string_view source) const;

  // Return `normalized` with each Han character replaced by the representative of its
  // pinyin syllable; byte lengths are unchanged.
  std::string HomophoneKey(std::string_view normalized) const;

  // Return the kinds of normalization that turned `original` into its normalized
  // form: "case", "full-width or compatibility form", "traditional to simplified",
  // "character variant", "invisible character removed", "separator removed",
  // "Chinese digits". Empty when the text was already normal. For --explain.
  std::vector<std::string> Explain(std::string_view original) const;

 private:
  struct Entry {
    uint32_t pool_offset;  // into pool_
    uint8_t length;        // bytes of replacement; 0 = remove
    uint8_t kind;          // Kind bits of the code point
  };
  enum Kind : uint8_t {
    kIdentity = 1,       // maps to itself
    kSeparator = 2,      // droppable between characters (after mapping)
    kAsciiAlnum = 4,     // maps to one ASCII letter or digit
    kCnDigit = 8,        // a Chinese digit that becomes ASCII inside a run
    kFinancialDigit = 16,  // 壹贰叁…: always becomes ASCII
  };
  struct Mapped {
    std::string_view bytes;
    uint8_t kind;
    char digit;  // for kCnDigit / kFinancialDigit
  };
  Mapped Map(char32_t cp, std::string* scratch) const;
  std::string MapUncached(char32_t cp) const;

  NormalizerOptions options_;
  std::vector<Entry> bmp_;                 // one entry per BMP code point
  // U+4000..U+9FFF (3-byte UTF-8 leads E4..E9) that map to themselves and nothing else,
  // one bit each: the fast path's test, 3 KB that stay in L1 where bmp_ (512 KB) does not.
  std::array<uint64_t, 0x6000 / 64> plain_cjk_{};
  std::vector<char> digit_;                // BMP code point -> ASCII digit for Chinese digits
  std::string pool_;                       // replacement strings, UTF-8
  std::vector<uint32_t> homophone_;        // BMP code point -> representative, 0 = none
  std::unordered_map<char32_t, char32_t> variants_;  // T2S + rule-set character variants
};

}  // namespace fraudscan
