#include <doctest/doctest.h>

#include <algorithm>

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <string>

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
  CHECK(out.origin.back() == 109);
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

TEST_CASE("normalize: traditional characters become simplified") {
  CHECK(Norm().Normalize("詐騙轉賬銀行會員貸款") == "诈骗转账银行会员贷款");
  CHECK(Norm().Normalize("裡面") == "里面");
}

TEST_CASE("normalize: character variants from the rule set") {
  fraudscan::NormalizerOptions o;
  o.character_variants[U'帐'] = U'账';
  Normalizer n(o);
  CHECK(n.Normalize("帳戶") == "账户");   // 帳 -> 帐 (ICU) -> 账 (variant)
  CHECK(Norm().Normalize("帳戶") == "帐户");
}

TEST_CASE("normalize: separators between characters are dropped") {
  CHECK(Norm().Normalize("刷·单返-利") == "刷单返利");
  CHECK(Norm().Normalize("加 V 信") == "加v信");
  CHECK(Norm().Normalize("微❤信") == "微信");
  CHECK(Norm().Normalize("刷 * 单") == "刷单");
  CHECK(Norm().Normalize("刷䷀单") == "刷单");  // a Yijing hexagram, among the ideograph blocks
  SUBCASE("ASCII words and numbers stay apart") {
    CHECK(Norm().Normalize("iphone 15 pro") == "iphone 15 pro");
    CHECK(Norm().Normalize("3.5元") == "3.5元");
    CHECK(Norm().Normalize("www.example.com") == "www.example.com");
  }
  SUBCASE("punctuation that means something stays") {
    CHECK(Norm().Normalize("好的，谢谢。") == "好的,谢谢。");
  }
  SUBCASE("separators at the end of a line stay; lines stay apart") {
    CHECK(Norm().Normalize("刷单 \n返利") == "刷单 \n返利");
  }
}

TEST_CASE("normalize: separators keep the offset map exact") {
  NormalizedText out;
  Norm().Append("刷·单", 0, &out);
  out.Finish(8);
  REQUIRE(out.text == "刷单");
  CHECK(out.origin[0] == 0);
  CHECK(out.origin[3] == 5);  // 单 after 刷 (3 bytes) and · (2 bytes)
}

TEST_CASE("normalize: Chinese digits") {
  CHECK(Norm().Normalize("一三八一二三四五六七八") == "13812345678");
  CHECK(Norm().Normalize("九六一一零") == "96110");
  CHECK(Norm().Normalize("壹万伍仟") == "1万5仟");
  CHECK(Norm().Normalize("一起统一") == "一起统一");  // single digits in words stay
  CHECK(Norm().Normalize("一 三 八") == "138");
}

TEST_CASE("normalize: homophone key") {
  const std::string a = Norm().HomophoneKey(Norm().Normalize("返利"));
  const std::string b = Norm().HomophoneKey(Norm().Normalize("返力"));
  CHECK(a == b);
  CHECK(a.size() == std::string("返利").size());
  CHECK(Norm().HomophoneKey("返利") != Norm().HomophoneKey("刷单"));
  CHECK(Norm().HomophoneKey("abc 123") == "abc 123");
}

TEST_CASE("normalize: explain names the steps") {
  auto has = [](const std::vector<std::string>& v, const char* k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  };
  CHECK(has(Norm().Explain("詐騙"), "traditional to simplified"));
  CHECK(has(Norm().Explain("ＶＸ"), "full-width or compatibility form"));
  CHECK(has(Norm().Explain("VX"), "case"));
  CHECK(has(Norm().Explain("刷·单"), "separator removed"));
  CHECK(has(Norm().Explain("刷\u200B单"), "invisible character removed"));
  CHECK(Norm().Explain("刷单").empty());
}

TEST_CASE("normalize: the build-time foldings agree with ICU's NFKC_Casefold at run time") {
  // Normalizing a character gives what normalizing its NFKC_Casefold form gives: the
  // folding table compiled in (tools/gen_unitables.cpp) must be ICU's, entry for entry.
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  REQUIRE(U_SUCCESS(status));
  const Normalizer norm;
  std::size_t checked = 0, differ = 0;
  for (UChar32 c = 0x20; c < 0x10000; ++c) {
    if (U_IS_SURROGATE(c) || nfkc_cf->isInert(c) || c == '\r') continue;
    std::string direct, folded;
    icu::UnicodeString(c).toUTF8String(direct);
    nfkc_cf->normalize(icu::UnicodeString(c), status).toUTF8String(folded);
    REQUIRE(U_SUCCESS(status));
    // Two Arabic ligatures fold to words with spaces between them, which the separator
    // rule then removes from the folded text only.
    if (folded.find(' ') != std::string::npos) continue;
    ++checked;
    if (norm.Normalize(direct) != norm.Normalize(folded) && ++differ <= 5) {
      FAIL_CHECK("code point " << c << ": '" << norm.Normalize(direct) << "' vs '" << norm.Normalize(folded) << "'");
    }
  }
  CHECK(checked > 5000);
  CHECK(differ == 0);
}
