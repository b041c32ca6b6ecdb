// The binary form of the on-disk caches (lib/src/serial.hpp).
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "serial.hpp"

using namespace fraudscan::detail;

namespace {

enum class Color : uint8_t { red, green };

struct Inner {
  std::string name;
  std::vector<uint32_t> ids;
};

struct Outer {
  int32_t n = 0;
  double weight = 0;
  Color color = Color::red;
  std::optional<Inner> inner;
  std::vector<Inner> many;
  std::vector<bool> flags;
  std::map<char32_t, char32_t> folds;
  std::set<char32_t> chars;
  std::vector<std::vector<std::string>> nested;
  std::pair<int, std::string> pair;
};

// Member form, as for types private to a class.
struct WithMember {
  int a = 0;
  std::string b;
  template <class IO, class Self>
  static void Fields(IO& io, Self& x) {
    io(x.a)(x.b);
  }
};

}  // namespace

template <>
struct fraudscan::detail::Fields<Inner> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.name)(x.ids);
  }
};
template <>
struct fraudscan::detail::Fields<Outer> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.n)(x.weight)(x.color)(x.inner)(x.many)(x.flags)(x.folds)(x.chars)(x.nested)(x.pair);
  }
};

namespace {

Outer Sample() {
  Outer o;
  o.n = -7;
  o.weight = 0.75;
  o.color = Color::green;
  o.inner = Inner{"微信", {1, 2, 3}};
  o.many = {Inner{"", {}}, Inner{"返利返利返利返利返利", {42}}};
  o.flags = {true, false, true};
  o.folds = {{U'薇', U'微'}, {U'帳', U'帐'}};
  o.chars = {U'吗', U'呢'};
  o.nested = {{}, {"a", ""}, {"刷单"}};
  o.pair = {3, "three"};
  return o;
}

std::string Bytes(const Outer& o) {
  Writer w;
  w(o);
  return w.Finish();
}

}  // namespace

TEST_CASE("serial: a struct of every supported kind reads back equal") {
  const Outer o = Sample();
  const std::string bytes = Bytes(o);
  Outer back;
  back.many = {Inner{"stale", {9}}};  // reading replaces, never appends
  Reader r(bytes);
  r(back);
  r.ExpectEnd();
  CHECK(back.n == o.n);
  CHECK(back.weight == o.weight);
  CHECK(back.color == o.color);
  REQUIRE(back.inner.has_value());
  CHECK(back.inner->name == "微信");
  CHECK(back.inner->ids == o.inner->ids);
  REQUIRE(back.many.size() == 2);
  CHECK(back.many[1].name == o.many[1].name);
  CHECK(back.many[1].ids == o.many[1].ids);
  CHECK(back.flags == o.flags);
  CHECK(back.folds == o.folds);
  CHECK(back.chars == o.chars);
  CHECK(back.nested == o.nested);
  CHECK(back.pair == o.pair);

  WithMember m{5, "五"};
  Writer w;
  w(m)(std::optional<int>());
  const std::string mb = w.Finish();
  WithMember mback;
  std::optional<int> none = 3;
  Reader{mb}(mback)(none).ExpectEnd();
  CHECK(mback.a == 5);
  CHECK(mback.b == "五");
  CHECK_FALSE(none.has_value());
}

TEST_CASE("serial: damaged bytes are refused, never read") {
  const std::string bytes = Bytes(Sample());
  SUBCASE("truncated") {
    CHECK_THROWS_AS(Reader(bytes.substr(0, bytes.size() - 1)), SerialError);
    CHECK_THROWS_AS(Reader(bytes.substr(0, 10)), SerialError);
    CHECK_THROWS_AS(Reader(std::string()), SerialError);
  }
  SUBCASE("one byte changed anywhere in the payload") {
    for (std::size_t i = 16; i < bytes.size(); ++i) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      CHECK_THROWS_AS(Reader{bad}, SerialError);
    }
  }
  SUBCASE("reading more than was written, or less") {
    Writer w;
    w(uint32_t{7});
    const std::string small = w.Finish();
    Reader r(small);
    uint64_t too_wide = 0;
    CHECK_THROWS_AS(r(too_wide), SerialError);
    Reader r2(bytes);  // REQUIRES: the bytes outlive the reader
    int32_t first = 0;
    r2(first);
    CHECK_THROWS_AS(r2.ExpectEnd(), SerialError);
  }
  SUBCASE("a length larger than the bytes left, with a valid checksum") {
    // The count of a vector of strings claims four billion elements: refused before
    // anything is allocated.
    Writer w;
    w(uint32_t{0xFFFFFFFF})(uint32_t{0});
    std::vector<std::string> v;
    CHECK_THROWS_AS(Reader(w.Finish())(v), SerialError);
    std::string s;
    CHECK_THROWS_AS(Reader(w.Finish())(s), SerialError);
  }
}

TEST_CASE("serial: the checksum depends on every byte and on the length") {
  std::string a(100, 'x');
  const uint64_t base = Checksum(a);
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string b = a;
    b[i] = 'y';
    CHECK(Checksum(b) != base);
  }
  CHECK(Checksum(a + '\0') != base);
  CHECK(Checksum("") != Checksum(std::string(1, '\0')));
}
