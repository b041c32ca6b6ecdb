#include "fraudscan/normalize.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <stdexcept>

namespace fraudscan {
namespace {

const icu::Normalizer2& NfkcCasefold() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status) || n == nullptr) throw std::runtime_error("ICU: cannot load NFKC_Casefold data");
  return *n;
}

std::string MapCodePoint(const icu::Normalizer2& nfkc_cf, uint32_t cp) {
  if (cp == '\r') return {};
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString in(static_cast<UChar32>(cp));
  icu::UnicodeString out = nfkc_cf.normalize(in, status);
  if (U_FAILURE(status)) return {};
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

}  // namespace

Normalizer::Normalizer() : bmp_(0x10000) {
  const icu::Normalizer2& nfkc_cf = NfkcCasefold();
  for (uint32_t cp = 0; cp < 0x10000; ++cp) {
    Entry& e = bmp_[cp];
    if (U_IS_SURROGATE(cp)) {
      e = {0, 0, false};
      continue;
    }
    if (cp != '\r' && nfkc_cf.isInert(static_cast<UChar32>(cp))) {
      e = {0, 0, true};
      continue;
    }
    std::string mapped = MapCodePoint(nfkc_cf, cp);
    char self[4];
    int32_t n = 0;
    [[maybe_unused]] UBool err = false;
    U8_APPEND(self, n, 4, static_cast<UChar32>(cp), err);
    if (mapped == std::string_view(self, static_cast<std::size_t>(n))) {
      e = {0, 0, true};
      continue;
    }
    e = {static_cast<uint32_t>(pool_.size()), static_cast<uint8_t>(mapped.size()), false};
    pool_ += mapped;
  }
}

std::string Normalizer::MapSupplementary(uint32_t cp) const { return MapCodePoint(NfkcCasefold(), cp); }

void Normalizer::Append(std::string_view source, std::size_t source_offset, NormalizedText* out) const {
  const auto* s = reinterpret_cast<const uint8_t*>(source.data());
  const auto len = static_cast<int32_t>(source.size());
  out->text.reserve(out->text.size() + source.size());
  out->origin.reserve(out->origin.size() + source.size());
  for (int32_t i = 0; i < len;) {
    const int32_t start = i;
    const auto origin = static_cast<uint32_t>(source_offset + static_cast<std::size_t>(start));
    UChar32 c;
    bool invalid = false;
    if (s[i] < 0x80) {
      c = s[i++];
    } else {
      U8_NEXT(s, i, len, c);
      if (c < 0) {
        c = 0xFFFD;
        invalid = true;
      }
    }
    if (c < 0x10000) {
      const Entry& e = bmp_[static_cast<std::size_t>(c)];
      if (e.identity) {
        if (invalid) {
          out->text.append("\xEF\xBF\xBD");
          out->origin.insert(out->origin.end(), 3, origin);
        } else {
          const auto n = static_cast<std::size_t>(i - start);
          out->text.append(source.data() + start, n);
          out->origin.insert(out->origin.end(), n, origin);
        }
        continue;
      }
      out->text.append(pool_, e.pool_offset, e.length);
      out->origin.insert(out->origin.end(), e.length, origin);
      continue;
    }
    std::string mapped = MapSupplementary(static_cast<uint32_t>(c));
    out->text += mapped;
    out->origin.insert(out->origin.end(), mapped.size(), origin);
  }
}

std::string Normalizer::Normalize(std::string_view source) const {
  NormalizedText out;
  Append(source, 0, &out);
  return std::move(out.text);
}

}  // namespace fraudscan
