#include "fraudscan/normalize.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <unordered_map>

namespace fraudscan {
namespace {

#include "unitables.inc"

const icu::Normalizer2& NfkcCasefold() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status) || n == nullptr) throw std::runtime_error("ICU: cannot load NFKC_Casefold data");
  return *n;
}

void AppendUtf8(std::string* out, char32_t cp) {
  char buf[4];
  int32_t n = 0;
  [[maybe_unused]] UBool err = false;
  U8_APPEND(buf, n, 4, static_cast<UChar32>(cp), err);
  out->append(buf, static_cast<std::size_t>(n));
}

// Separators that fraudsters put between characters, after NFKC mapping.
bool IsSeparatorCodePoint(char32_t c) {
  switch (c) {
    case ' ': case '\t': case '*': case '_': case '-': case '|': case '/': case '\\': case '~': case '.':
    case '^': case '+': case '=': case '#': case '`': case '\'': case '"':
    case 0x00B7: case 0x2022: case 0x30FB: case 0x2027: case 0x2219: case 0x2014: case 0x2013:
    case 0x2027 + 1: case 0x00A0: case 0x3000: case 0x02D9: case 0x2026:
      return true;
    default:
      break;
  }
  // The big blocks of letters (CJK ideographs, Hangul syllables) need no lookup: the
  // normalizer asks about every code point when it builds its table. (Not 4DC0-4DFF
  // between them: the Yijing hexagrams are symbols, and separators.)
  if ((c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3)) return false;
  const int8_t type = u_charType(static_cast<UChar32>(c));
  // Symbols (math, currency, modifier, other: emoji, hearts, stars) and spaces.
  return type == U_MATH_SYMBOL || type == U_CURRENCY_SYMBOL || type == U_MODIFIER_SYMBOL ||
         type == U_OTHER_SYMBOL || type == U_SPACE_SEPARATOR;
}

int CnDigit(char32_t c) {
  switch (c) {
    case U'〇': case U'零': return 0;
    case U'一': case U'幺': return 1;
    case U'二': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    default: return -1;
  }
}

int FinancialDigit(char32_t c) {
  switch (c) {
    case U'壹': return 1;
    case U'贰': return 2;
    case U'叁': return 3;
    case U'肆': return 4;
    case U'伍': return 5;
    case U'陆': return 6;
    case U'柒': return 7;
    case U'捌': return 8;
    case U'玖': return 9;
    default: return -1;
  }
}

// Decode one code point at s[*i]; ill-formed sequences give U+FFFD.
char32_t NextCodePoint(const uint8_t* s, int32_t* i, int32_t len) {
  if (s[*i] < 0x80) return s[(*i)++];
  UChar32 c;
  U8_NEXT(s, *i, len, c);
  return c < 0 ? 0xFFFD : static_cast<char32_t>(c);
}

// Append `c` to `*out` (UTF-8) after Traditional->Simplified and the rule set's
// character variants, followed up to three steps (帳 -> 帐 -> 账).
void AppendVariant(const std::unordered_map<char32_t, char32_t>& variants, char32_t c, std::string* out) {
  for (int step = 0; step < 3; ++step) {
    auto it = variants.find(c);
    if (it == variants.end() || it->second == c) break;
    c = it->second;
  }
  AppendUtf8(out, c);
}

}  // namespace

std::string Normalizer::MapUncached(char32_t cp) const {
  if (cp == '\r') return {};
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString in(static_cast<UChar32>(cp));
  icu::UnicodeString folded = NfkcCasefold().normalize(in, status);
  if (U_FAILURE(status)) return {};
  std::string utf8;
  for (int32_t i = 0; i < folded.length();) {
    const auto c = static_cast<char32_t>(folded.char32At(i));
    i += U16_LENGTH(c);
    AppendVariant(variants_, c, &utf8);
  }
  return utf8;
}

Normalizer::Normalizer(const NormalizerOptions& options)
    : options_(options), bmp_(0x10000), digit_(0x10000, 0), homophone_(0x10000, 0) {
  variants_.reserve(std::size(kT2S) + options.character_variants.size());
  for (const auto& p : kT2S) variants_.emplace(p[0], p[1]);
  for (const auto& [from, to] : options.character_variants) variants_[from] = to;
  // NFKC_Casefold of the BMP comes from the build (kFold, generated from ICU): running
  // ICU's normalizer on each of its 5,000 foldings took milliseconds at every start-up.
  std::size_t next_fold = 0;  // kFold is in code point order
  std::vector<char> has_variant(0x10000, 0);  // a map lookup per code point cost milliseconds
  for (const auto& [from, to] : variants_) {
    if (from < 0x10000) has_variant[from] = 1;
  }
  for (char32_t cp = 0; cp < 0x10000; ++cp) {
    Entry& e = bmp_[cp];
    if (U_IS_SURROGATE(cp)) {
      e = {0, 0, 0};
      continue;
    }
    std::string mapped;  // the replacement, when the code point changes
    bool identity;
    char32_t single = 0;  // what the code point maps to when that is one code point
    const bool folds = next_fold < std::size(kFold) && kFold[next_fold][0] == cp;
    if (cp != '\r' && !has_variant[cp] && !folds) {
      identity = true;
      single = cp;
    } else {
      if (cp == '\r') {
        // removed (as MapUncached does): lines end with \n
      } else if (folds) {
        const auto* f = kFold[next_fold];
        for (uint32_t k = 0; k < f[2]; ++k) AppendVariant(variants_, kFoldChars[f[1] + k], &mapped);
      } else {
        AppendVariant(variants_, cp, &mapped);
      }
      std::string self;
      AppendUtf8(&self, cp);
      identity = mapped == self;
      if (!mapped.empty()) {
        int32_t i = 0;
        single = NextCodePoint(reinterpret_cast<const uint8_t*>(mapped.data()), &i, static_cast<int32_t>(mapped.size()));
        if (static_cast<std::size_t>(i) != mapped.size()) single = 0;
      }
    }
    if (folds) ++next_fold;
    uint8_t kind = identity ? kIdentity : 0;
    // Classify by what the code point maps to.
    if (single != 0 && single != '\n' && IsSeparatorCodePoint(single)) kind |= kSeparator;
    if (single < 0x80 && single != 0 && std::isalnum(static_cast<int>(single))) kind |= kAsciiAlnum;
    if (int d = CnDigit(single); d >= 0) {
      kind |= kCnDigit;
      digit_[cp] = static_cast<char>('0' + d);
    }
    if (int d = FinancialDigit(single); d >= 0) {
      kind |= kFinancialDigit;
      digit_[cp] = static_cast<char>('0' + d);
    }
    if (identity) {
      e = {0, 0, kind};
    } else {
      e = {static_cast<uint32_t>(pool_.size()), static_cast<uint8_t>(mapped.size()), kind};
      pool_ += mapped;
    }
  }
  for (char32_t cp = 0x4000; cp < 0xA000; ++cp) {
    if (bmp_[cp].kind == kIdentity) plain_cjk_[(cp - 0x4000) >> 6] |= uint64_t{1} << ((cp - 0x4000) & 63);
  }
  // Homophones: the smallest BMP code point of each syllable represents it.
  std::vector<uint32_t> representative(sizeof(kSyllables) / sizeof(kSyllables[0]), 0);
  for (const auto& p : kPinyin) {
    if (representative[p[1]] == 0 || p[0] < representative[p[1]]) representative[p[1]] = p[0];
  }
  for (const auto& p : kPinyin) {
    if (p[0] < 0x10000) homophone_[p[0]] = representative[p[1]];
  }
}

Normalizer::Mapped Normalizer::Map(char32_t cp, std::string* scratch) const {
  if (cp < 0x10000) {
    const Entry& e = bmp_[cp];
    if (e.kind & kIdentity) return {{}, e.kind, digit_[cp]};
    return {std::string_view(pool_).substr(e.pool_offset, e.length), e.kind, digit_[cp]};
  }
  *scratch = MapUncached(cp);
  return {*scratch, 0, 0};
}

void Normalizer::Append(std::string_view source, std::size_t source_offset, NormalizedText* out) const {
  const auto* s = reinterpret_cast<const uint8_t*>(source.data());
  const auto len = static_cast<int32_t>(source.size());
  out->text.reserve(out->text.size() + source.size());
  out->origin.reserve(out->origin.size() + source.size());
  std::string scratch;

  // Separators seen since the last emitted character, not yet emitted.
  std::string pending;
  std::vector<uint32_t> pending_origin;
  bool last_alnum = false;   // the last emitted character is an ASCII letter/digit
  bool emitted_any = false;  // something was emitted in this call (line start otherwise)
  int digit_run = 0;         // remaining Chinese digits of a run that becomes ASCII

  auto emit = [&](std::string_view bytes, uint32_t origin) {
    out->text.append(bytes);
    out->origin.insert(out->origin.end(), bytes.size(), origin);
  };
  // Separators kept after all (at the end of a line, or between ASCII words).
  auto flush_pending = [&] {
    out->text.append(pending);
    out->origin.insert(out->origin.end(), pending_origin.begin(), pending_origin.end());
    pending.clear();
    pending_origin.clear();
  };

  for (int32_t i = 0; i < len;) {
    // Fast path: a run of CJK characters that map to themselves and have no special
    // role (most of a Chinese text) is copied in one go.
    if (pending.empty() && s[i] >= 0xE4 && s[i] <= 0xE9) {
      int32_t j = i;
      while (j + 2 < len && s[j] >= 0xE4 && s[j] <= 0xE9 && (s[j + 1] & 0xC0) == 0x80 && (s[j + 2] & 0xC0) == 0x80) {
        const uint32_t x = (((s[j] & 0x0Fu) << 12) | ((s[j + 1] & 0x3Fu) << 6) | (s[j + 2] & 0x3Fu)) - 0x4000;
        if (((plain_cjk_[x >> 6] >> (x & 63)) & 1) == 0) break;
        j += 3;
      }
      if (j > i) {
        out->text.append(source.data() + i, static_cast<std::size_t>(j - i));
        const std::size_t at = out->origin.size();
        out->origin.resize(at + static_cast<std::size_t>(j - i));
        uint32_t* o = out->origin.data() + at;
        for (int32_t k = i; k < j; k += 3) {
          const auto origin = static_cast<uint32_t>(source_offset + static_cast<std::size_t>(k));
          *o++ = origin;
          *o++ = origin;
          *o++ = origin;
        }
        i = j;
        last_alnum = false;
        emitted_any = true;
        digit_run = 0;
        continue;
      }
    }
    const int32_t start = i;
    const auto origin = static_cast<uint32_t>(source_offset + static_cast<std::size_t>(start));
    bool invalid = false;
    char32_t c;
    if (s[i] < 0x80) {
      c = s[i++];
    } else {
      UChar32 u;
      U8_NEXT(s, i, len, u);
      invalid = u < 0;
      c = invalid ? 0xFFFD : static_cast<char32_t>(u);
    }
    Mapped m = Map(c, &scratch);
    std::string_view bytes = (m.kind & kIdentity) ? source.substr(static_cast<std::size_t>(start),
                                                                  static_cast<std::size_t>(i - start))
                                                  : m.bytes;
    if (invalid) bytes = "\xEF\xBF\xBD";
    if (bytes.empty()) continue;  // removed (invisible, CR)
    if (c == '\n') {
      flush_pending();
      emit("\n", origin);
      last_alnum = false;
      emitted_any = false;
      digit_run = 0;
      continue;
    }
    if (m.kind & kSeparator) {
      if (!emitted_any) {
        emit(bytes, origin);  // leading separators stay (nothing to join)
        continue;
      }
      pending.append(bytes);
      pending_origin.insert(pending_origin.end(), bytes.size(), origin);
      continue;
    }
    const bool alnum = (m.kind & kAsciiAlnum) != 0;
    if (!pending.empty()) {
      if (last_alnum && alnum) {
        flush_pending();
      } else {
        pending.clear();
        pending_origin.clear();
      }
    }
    // Chinese digits.
    if (m.kind & kFinancialDigit) {
      char d = m.digit;
      emit(std::string_view(&d, 1), origin);
      last_alnum = true;
      emitted_any = true;
      continue;
    }
    if (m.kind & kCnDigit) {
      if (digit_run == 0) {
        // Count the run ahead (separators inside it do not break it).
        int run = 1;
        for (int32_t j = i; j < len && run < 3;) {
          char32_t next = NextCodePoint(s, &j, len);
          Mapped nm = Map(next, &scratch);
          if (nm.kind & kCnDigit) {
            ++run;
          } else if (!(nm.kind & kSeparator)) {
            break;
          }
        }
        digit_run = run >= 3 ? -1 : 0;  // -1: inside a run that converts
      }
      if (digit_run == -1) {
        char d = m.digit;
        emit(std::string_view(&d, 1), origin);
        last_alnum = true;
        emitted_any = true;
        continue;
      }
    } else {
      digit_run = 0;
    }
    emit(bytes, origin);
    last_alnum = alnum;
    emitted_any = true;
  }
  flush_pending();
}

std::string Normalizer::Normalize(std::string_view source) const {
  NormalizedText out;
  Append(source, 0, &out);
  return std::move(out.text);
}

std::string Normalizer::HomophoneKey(std::string_view normalized) const {
  std::string out;
  out.reserve(normalized.size());
  const auto* s = reinterpret_cast<const uint8_t*>(normalized.data());
  const auto len = static_cast<int32_t>(normalized.size());
  for (int32_t i = 0; i < len;) {
    const int32_t start = i;
    const char32_t c = NextCodePoint(s, &i, len);
    if (c < 0x10000 && homophone_[c] != 0 && i - start == 3) {
      AppendUtf8(&out, homophone_[c]);
    } else {
      out.append(normalized.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start)));
    }
  }
  return out;
}

std::vector<std::string> Normalizer::Explain(std::string_view original) const {
  std::vector<std::string> kinds;
  auto add = [&](const char* k) {
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.emplace_back(k);
  };
  const auto* s = reinterpret_cast<const uint8_t*>(original.data());
  const auto len = static_cast<int32_t>(original.size());
  const icu::Normalizer2& nfkc_cf = NfkcCasefold();
  std::string scratch;
  for (int32_t i = 0; i < len;) {
    const char32_t c = NextCodePoint(s, &i, len);
    Mapped m = Map(c, &scratch);
    if (m.kind & kSeparator) {
      add("separator removed");
      continue;
    }
    if (m.kind & (kCnDigit | kFinancialDigit)) add("Chinese digits");
    if (m.kind & kIdentity) continue;
    if (m.bytes.empty()) {
      add("invisible character removed");
      continue;
    }
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString folded = nfkc_cf.normalize(icu::UnicodeString(static_cast<UChar32>(c)), status);
    const bool nfkc_changed = folded != icu::UnicodeString(static_cast<UChar32>(c));
    if (nfkc_changed) {
      icu::UnicodeString lower(static_cast<UChar32>(c));
      lower.foldCase();
      add(lower == folded ? "case" : "full-width or compatibility form");
    }
    const char32_t after = folded.length() > 0 ? static_cast<char32_t>(folded.char32At(0)) : c;
    if (auto it = variants_.find(after); it != variants_.end()) {
      // kT2S is generated in code point order.
      const auto* at = std::lower_bound(std::begin(kT2S), std::end(kT2S), after,
                                        [](const auto& p, char32_t key) { return p[0] < key; });
      const bool t2s = at != std::end(kT2S) && (*at)[0] == after;
      add(t2s ? "traditional to simplified" : "character variant");
    }
  }
  return kinds;
}

}  // namespace fraudscan
