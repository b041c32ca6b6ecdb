// yaml: a rule file read by libyaml into a small tree of nodes with their positions.
// Internal to lib/.
//
// libyaml parses; this only keeps what it reports (scalars, sequences, mappings,
// anchors and aliases, line and column) in a form the schema check can walk. It
// replaced yaml-cpp, which took ~80 ms of a cold start for the shipped rule files
// where libyaml takes ~8 ms (docs/performance.md).
//
// Example:
//   detail::YamlDocument doc = detail::ParseYaml("rules:\n  - id: a\n");
//   if (doc.error) { report(doc.error->line, doc.error->message); }
//   for (const auto& rule : doc.root()["rules"].items()) use(rule["id"].Scalar());
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fraudscan::detail {

struct YamlData;

// A node of a parsed document, or "no node" (a missing key): a handle, cheap to copy,
// valid as long as its document.
class YamlNode {
 public:
  YamlNode() = default;
  explicit operator bool() const { return data_ != nullptr; }
  // A null is `~`, `null` or nothing, unquoted; a missing node is none of these.
  bool IsNull() const;
  bool IsScalar() const;
  bool IsSequence() const;
  bool IsMap() const;
  // The text of a scalar; empty for anything else.
  const std::string& Scalar() const;
  // The value of `key` in a mapping; no node when absent or not a mapping.
  YamlNode operator[](std::string_view key) const;
  // A sequence's items; empty for anything else.
  std::vector<YamlNode> items() const;
  // A mapping's (key, value) pairs in document order; empty for anything else.
  std::vector<std::pair<YamlNode, YamlNode>> pairs() const;
  // Items of a sequence, pairs of a mapping, else 0.
  std::size_t size() const;
  // 1-based position of the node's first character; 0 for no node.
  int line() const;
  int column() const;
  // Scalar conversions, as YAML 1.1 (and yaml-cpp) read them: a whole decimal number;
  // a decimal number; true/false, yes/no, on/off, y/n in the usual cases. Empty when the
  // node is not a scalar of that kind.
  std::optional<long long> AsInt() const;
  std::optional<double> AsDouble() const;
  std::optional<bool> AsBool() const;

 private:
  friend struct YamlDocument;
  friend class YamlBuilder;
  explicit YamlNode(const YamlData* data) : data_(data) {}
  const YamlData* data_ = nullptr;
};

struct YamlData {
  enum class Kind : uint8_t { null, scalar, sequence, mapping } kind = Kind::null;
  std::string value;                   // scalars
  std::vector<const YamlData*> children;  // sequence items; mapping key, value, key, value...
  int line = 0, column = 0;            // 1-based
  uint64_t expanded = 1;               // nodes in it, aliases counted as copies
};

struct YamlError {
  int line = 0, column = 0;  // 1-based; 0 when unknown
  std::string message;       // "did not find expected key (while parsing a block mapping at line 2)"
};

struct YamlDocument {
  // The first document of the stream; no node when the stream is empty.
  YamlNode root() const { return YamlNode(root_); }
  // Set when the text is not one well-formed YAML document; root() is then no node.
  std::optional<YamlError> error;

  YamlDocument() = default;
  YamlDocument(YamlDocument&&) = default;
  YamlDocument& operator=(YamlDocument&&) = default;

 private:
  friend class YamlBuilder;
  std::deque<YamlData> nodes_;  // stable addresses: aliases share nodes
  const YamlData* root_ = nullptr;
};

// Return `text` parsed. Thread-safe. Duplicate keys in a mapping are an error: the
// schema check would otherwise see only the first. So are an alias inside the node it
// names (a cycle) and aliases that expand the document past kYamlMaxExpanded nodes
// (aliases of aliases grow exponentially, and the schema check walks every copy).
inline constexpr uint64_t kYamlMaxExpanded = 10'000'000;
// Collections nested deeper than this are an error too (the schema check recurses).
inline constexpr std::size_t kYamlMaxDepth = 256;
YamlDocument ParseYaml(std::string_view text);

}  // namespace fraudscan::detail
