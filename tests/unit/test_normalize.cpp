#include <doctest/doctest.h>

#include "fraudscan/normalize.hpp"

using fraudscan::NormalizedText;
using fraudscan::Normalizer;

namespace {
const Normalizer& Norm() {
  static const Normalizer n;
  return n;
}
}  // namespace

TEST_CASE("normalize: NFKC and case folding") {
  CHECK(Norm().Normalize("ＶＸ：ＡＢＣ１２３") == "vx:abc123");
  CHECK(Norm().Normalize("QQ号") == "qq号");
  CHECK(Norm().Normalize("①②③") == "123");
  CHECK(Norm().Normalize("刷单返利") == "刷单返利");
}

TEST_CASE("normalize: zero-width and format characters disappear") {
  CHECK(Norm().Normalize("刷\u200B单\u200D返\uFEFF利") == "刷单返利");
  CHECK(Norm().Normalize("a\r\nb") == "a\nb");
}

TEST_CASE("normalize: every output byte maps back to the code point it came from") {
  // "Ｖ信" : full-width V (3 bytes) -> "v" (1 byte); 信 stays 3 bytes.
  NormalizedText out;
  Norm().Append("加Ｖ信", 100, &out);
  out.Finish(109);
  REQUIRE(out.text == "加v信");
  REQUIRE(out.origin.size() == out.text.size() + 1);
  CHECK(out.origin[0] == 100);  // 加
  CHECK(out.origin[3] == 103);  // v <- Ｖ at byte 3
  CHECK(out.origin[4] == 106);  // 信
  CHECK(out.origin[6] == 106);
  CHECK(out.SourceEnd(out.text.size()) == 109);
}

TEST_CASE("normalize: removed characters leave no output bytes but keep later offsets right") {
  NormalizedText out;
  Norm().Append("返\u200B利", 0, &out);
  out.Finish(9);
  REQUIRE(out.text == "返利");
  CHECK(out.origin[3] == 6);  // 利 comes after 返 (3 bytes) and U+200B (3 bytes)
}

TEST_CASE("normalize: ill-formed UTF-8 becomes U+FFFD") {
  CHECK(Norm().Normalize("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
}

TEST_CASE("normalize: supplementary characters") {
  // U+1D400 MATHEMATICAL BOLD CAPITAL A -> "a"
  CHECK(Norm().Normalize("\xF0\x9D\x90\x80") == "a");
}
