#include <doctest/doctest.h>

#include "fraudscan/transcript.hpp"

using fraudscan::ParsePlainText;

TEST_CASE("transcript: speaker turns") {
  SUBCASE("Chinese labels with full-width colons") {
    auto t = ParsePlainText("x", "客服：您好\n用户：你好\n");
    REQUIRE(t.turns.size() == 2);
    CHECK(t.turns[0].speaker == "客服");
    CHECK(t.document.substr(t.turns[0].begin, t.turns[0].end - t.turns[0].begin) == "您好");
    CHECK(t.turns[1].speaker == "用户");
  }
  SUBCASE("A:/B: and 说话人1： labels") {
    auto t = ParsePlainText("x", "A: hello\nB: hi\n说话人1：喂\n");
    REQUIRE(t.turns.size() == 3);
    CHECK(t.turns[0].speaker == "A");
    CHECK(t.turns[2].speaker == "说话人1");
  }
  SUBCASE("unlabelled lines continue the current speaker") {
    auto t = ParsePlainText("x", "客服：第一句\n第二句\n用户：好\n");
    REQUIRE(t.turns.size() == 3);
    CHECK(t.turns[1].speaker == "客服");
  }
  SUBCASE("a single colon line is not a dialogue") {
    auto t = ParsePlainText("x", "尊敬的客户：您的快递已到驿站");
    REQUIRE(t.turns.size() == 1);
    CHECK(t.turns[0].speaker.empty());
    CHECK(t.turns[0].begin == 0);
  }
  SUBCASE("CRLF line ends") {
    auto t = ParsePlainText("x", "A: one\r\nB: two\r\n");
    REQUIRE(t.turns.size() == 2);
    CHECK(t.document.substr(t.turns[0].begin, t.turns[0].end - t.turns[0].begin) == "one");
  }
}

TEST_CASE("transcript: header lines are metadata, not text") {
  auto t = ParsePlainText("x", "# expect: task_rebate\n# must-hit: tr.x\n内容\n");
  REQUIRE(t.header.size() == 2);
  CHECK(t.header[0].first == "expect");
  CHECK(t.header[0].second == "task_rebate");
  REQUIRE(t.turns.size() == 1);
  CHECK(t.document.substr(t.turns[0].begin, 6) == "内容");
  // An ordinary first line starting with '#' is text.
  auto u = ParsePlainText("y", "#话题 今天\n");
  CHECK(u.header.empty());
  CHECK(u.turns.size() == 1);
}

TEST_CASE("transcript: turns from JSON records") {
  auto t = fraudscan::FromTurns("r1", {{"客服", "您好"}, {"", "嗯"}});
  CHECK(t.document == "客服：您好\n嗯\n");
  REQUIRE(t.turns.size() == 2);
  CHECK(t.document.substr(t.turns[0].begin, t.turns[0].end - t.turns[0].begin) == "您好");
  CHECK(t.turns[1].speaker.empty());
}

TEST_CASE("transcript: line and column in code points") {
  const std::string doc = "第一行\n第二行abc";
  auto lc = fraudscan::LocateOffset(doc, doc.find("abc"));
  CHECK(lc.line == 2);
  CHECK(lc.column == 4);
  CHECK(fraudscan::LocateOffset(doc, 0).line == 1);
}

TEST_CASE("transcript: labels survive invisible characters and full-width digits") {
  auto t = ParsePlainText("x", "说\u200b话人１：您好\n说话人2\u200d：你好\n");
  REQUIRE(t.turns.size() == 2);
  CHECK(t.turns[0].speaker == "说话人１");
  CHECK(t.turns[1].speaker == "说话人2");
  CHECK(t.document.substr(t.turns[0].begin, t.turns[0].end - t.turns[0].begin) == "您好");
}
