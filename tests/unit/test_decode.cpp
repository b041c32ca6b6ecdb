#include <doctest/doctest.h>

#include "fraudscan/decode.hpp"

using fraudscan::Decode;

TEST_CASE("decode: UTF-8") {
  SUBCASE("plain UTF-8 passes through") {
    auto d = Decode("客服：您好");
    CHECK(d.encoding == "UTF-8");
    CHECK(d.text == "客服：您好");
    CHECK(d.invalid_bytes == 0);
  }
  SUBCASE("BOM is stripped and its size reported") {
    auto d = Decode("\xEF\xBB\xBF你好");
    CHECK(d.text == "你好");
    CHECK(d.bom_size == 3);
  }
  SUBCASE("validator") {
    CHECK(fraudscan::IsValidUtf8("abc 中文"));
    CHECK_FALSE(fraudscan::IsValidUtf8("\xE4\xB8"));        // truncated
    CHECK_FALSE(fraudscan::IsValidUtf8("\xC0\xAF"));        // overlong
    CHECK_FALSE(fraudscan::IsValidUtf8("\xED\xA0\x80"));    // surrogate
  }
}

TEST_CASE("decode: UTF-16 with BOM") {
  // "刷单" = U+5237 U+5355
  SUBCASE("little endian") {
    auto d = Decode(std::string("\xFF\xFE\x37\x52\x55\x53", 6));
    CHECK(d.encoding == "UTF-16LE");
    CHECK(d.text == "刷单");
  }
  SUBCASE("big endian") {
    auto d = Decode(std::string("\xFE\xFF\x52\x37\x53\x55", 6));
    CHECK(d.encoding == "UTF-16BE");
    CHECK(d.text == "刷单");
  }
}

TEST_CASE("decode: GB18030 fallback") {
  // "返利" in GBK/GB18030: B7 B5 C0 FB
  auto d = Decode("\xB7\xB5\xC0\xFB");
  CHECK(d.encoding == "GB18030");
  CHECK(d.text == "返利");
  CHECK(d.invalid_bytes == 0);
}

TEST_CASE("decode: invalid bytes become U+FFFD and are counted") {
  // 0xFF is never valid in UTF-8, and a lone 0x80 after ASCII is not GB18030 either.
  auto d = Decode("ok\xFF\x80ok");
  CHECK(d.invalid_bytes >= 1);
  CHECK(d.text.find("\xEF\xBF\xBD") != std::string::npos);
  CHECK(d.text.starts_with("ok"));
}

TEST_CASE("decode: binary detection and forced encodings") {
  CHECK(fraudscan::LooksBinary(std::string("PK\x03\x04\0\0", 6)));
  CHECK_FALSE(fraudscan::LooksBinary("纯文本"));
  auto d = Decode(std::string("abc\0def", 7));
  CHECK(d.binary);
  fraudscan::DecodeOptions o;
  o.forced_encoding = "GB18030";
  CHECK(Decode("\xB7\xB5\xC0\xFB", o).text == "返利");
  o.forced_encoding = "no-such-encoding";
  CHECK_FALSE(Decode("abc", o).error.empty());
}
