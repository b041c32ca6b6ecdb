#include "fraudscan/decode.hpp"

#include <unicode/ucnv.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <memory>

namespace fraudscan {
namespace {

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using ConverterPtr = std::unique_ptr<UConverter, ConverterCloser>;

// Convert `bytes` from `encoding` to UTF-8 with ICU. With `strict`, stop at the first
// illegal or unmappable sequence and return false; otherwise substitute U+FFFD and
// count substitutions in `*invalid`.
bool ConvertToUtf8(std::string_view bytes, const char* encoding, bool strict, std::string* out,
                   std::size_t* invalid, std::string* error) {
  UErrorCode status = U_ZERO_ERROR;
  ConverterPtr conv(ucnv_open(encoding, &status));
  if (U_FAILURE(status)) {
    if (error) *error = std::string("unknown encoding '") + encoding + "'";
    return false;
  }
  if (strict) {
    ucnv_setToUCallBack(conv.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  }
  // Decode to UTF-16, then encode as UTF-8 with ICU's own UTF-8 converter.
  std::u16string u16;
  u16.resize(bytes.size() * 2 + 16);
  const char* src = bytes.data();
  const char* src_end = src + bytes.size();
  char16_t* dst = u16.data();
  ucnv_toUnicode(conv.get(), reinterpret_cast<UChar**>(&dst), reinterpret_cast<UChar*>(u16.data() + u16.size()),
                 &src, src_end, nullptr, /*flush=*/true, &status);
  if (U_FAILURE(status)) return false;
  u16.resize(static_cast<std::size_t>(dst - u16.data()));
  if (!strict && invalid) {
    *invalid += static_cast<std::size_t>(std::count(u16.begin(), u16.end(), u'\uFFFD'));
  }
  out->clear();
  out->reserve(u16.size() * 3);
  for (std::size_t i = 0; i < u16.size();) {
    UChar32 c;
    U16_NEXT(u16.data(), i, u16.size(), c);
    if (U_IS_SURROGATE(c)) c = 0xFFFD;
    char buf[4];
    int32_t n = 0;
    [[maybe_unused]] UBool err = false;
    U8_APPEND(buf, n, 4, c, err);
    out->append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

// Copy `bytes` as UTF-8, replacing each ill-formed sequence by U+FFFD.
std::string RepairUtf8(std::string_view bytes, std::size_t* invalid) {
  std::string out;
  out.reserve(bytes.size() + 16);
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  const auto len = static_cast<int32_t>(bytes.size());
  for (int32_t i = 0; i < len;) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, len, c);
    if (c < 0) {
      out.append("\xEF\xBF\xBD");
      ++*invalid;
    } else {
      out.append(bytes.data() + start, static_cast<std::size_t>(i - start));
    }
  }
  return out;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto len = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < len;) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    UChar32 c;
    U8_NEXT(s, i, len, c);
    if (c < 0) return false;
  }
  return true;
}

bool LooksBinary(std::string_view bytes) {
  if (bytes.size() >= 2 && ((bytes[0] == '\xFF' && bytes[1] == '\xFE') || (bytes[0] == '\xFE' && bytes[1] == '\xFF'))) {
    return false;
  }
  auto head = bytes.substr(0, 8192);
  return head.find('\0') != std::string_view::npos;
}

Decoded Decode(std::string_view bytes, const DecodeOptions& options) {
  Decoded d;
  if (!options.forced_encoding.empty()) {
    d.encoding = options.forced_encoding;
    if (!ConvertToUtf8(bytes, options.forced_encoding.c_str(), false, &d.text, &d.invalid_bytes, &d.error)) {
      if (d.error.empty()) d.error = "cannot decode as " + options.forced_encoding;
    }
    if (d.text.starts_with("\xEF\xBB\xBF")) d.text.erase(0, 3);
    return d;
  }
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    d.bom_size = 3;
    bytes.remove_prefix(3);
  } else if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    d.bom_size = 2;
    d.encoding = bytes[0] == '\xFF' ? "UTF-16LE" : "UTF-16BE";
    ConvertToUtf8(bytes.substr(2), d.encoding.c_str(), false, &d.text, &d.invalid_bytes, nullptr);
    return d;
  }
  if (LooksBinary(bytes)) {
    d.binary = true;
    return d;
  }
  if (IsValidUtf8(bytes)) {
    d.encoding = "UTF-8";
    d.text.assign(bytes);
    return d;
  }
  if (d.bom_size == 0 && ConvertToUtf8(bytes, "GB18030", true, &d.text, nullptr, nullptr)) {
    d.encoding = "GB18030";
    return d;
  }
  d.encoding = "UTF-8";
  d.text = RepairUtf8(bytes, &d.invalid_bytes);
  return d;
}

}  // namespace fraudscan
