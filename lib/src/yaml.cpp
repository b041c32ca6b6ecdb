#include "yaml.hpp"

#include <fmt/format.h>
#include <yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

namespace fraudscan::detail {

namespace {

const std::string kEmpty;

bool IsPlainNull(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

}  // namespace

bool YamlNode::IsNull() const { return data_ != nullptr && data_->kind == YamlData::Kind::null; }
bool YamlNode::IsScalar() const { return data_ != nullptr && data_->kind == YamlData::Kind::scalar; }
bool YamlNode::IsSequence() const { return data_ != nullptr && data_->kind == YamlData::Kind::sequence; }
bool YamlNode::IsMap() const { return data_ != nullptr && data_->kind == YamlData::Kind::mapping; }
const std::string& YamlNode::Scalar() const { return IsScalar() ? data_->value : kEmpty; }
int YamlNode::line() const { return data_ != nullptr ? data_->line : 0; }
int YamlNode::column() const { return data_ != nullptr ? data_->column : 0; }

YamlNode YamlNode::operator[](std::string_view key) const {
  if (!IsMap()) return {};
  const auto& c = data_->children;
  for (std::size_t i = 0; i + 1 < c.size(); i += 2) {
    if (c[i]->kind == YamlData::Kind::scalar && c[i]->value == key) return YamlNode(c[i + 1]);
  }
  return {};
}

std::vector<YamlNode> YamlNode::items() const {
  std::vector<YamlNode> out;
  if (!IsSequence()) return out;
  out.reserve(data_->children.size());
  for (const YamlData* d : data_->children) out.push_back(YamlNode(d));
  return out;
}

std::vector<std::pair<YamlNode, YamlNode>> YamlNode::pairs() const {
  std::vector<std::pair<YamlNode, YamlNode>> out;
  if (!IsMap()) return out;
  const auto& c = data_->children;
  out.reserve(c.size() / 2);
  for (std::size_t i = 0; i + 1 < c.size(); i += 2) out.emplace_back(YamlNode(c[i]), YamlNode(c[i + 1]));
  return out;
}

std::size_t YamlNode::size() const {
  if (IsSequence()) return data_->children.size();
  if (IsMap()) return data_->children.size() / 2;
  return 0;
}

std::optional<long long> YamlNode::AsInt() const {
  if (!IsScalar()) return std::nullopt;
  std::string_view s = data_->value;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> YamlNode::AsDouble() const {
  if (!IsScalar()) return std::nullopt;
  std::string_view s = data_->value;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> YamlNode::AsBool() const {
  if (!IsScalar()) return std::nullopt;
  static constexpr std::array<std::string_view, 11> kTrue = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                                             "True", "TRUE", "on",  "On",  "ON"};
  static constexpr std::array<std::string_view, 11> kFalse = {"n",     "N",     "no", "No",  "NO", "false",
                                                              "False", "FALSE", "off", "Off", "OFF"};
  for (auto t : kTrue) {
    if (data_->value == t) return true;
  }
  for (auto f : kFalse) {
    if (data_->value == f) return false;
  }
  return std::nullopt;
}

// Builds a YamlDocument from libyaml's events.
class YamlBuilder {
 public:
  explicit YamlBuilder(YamlDocument* doc) : doc_(doc) {}

  // Return false (with doc_->error set) on an error.
  bool Event(const yaml_event_t& e) {
    const int line = static_cast<int>(e.start_mark.line) + 1;
    const int column = static_cast<int>(e.start_mark.column) + 1;
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        if (++documents_ > 1) return Fail(line, column, "a second YAML document ('---'): a rule file holds one");
        return true;
      case YAML_SCALAR_EVENT: {
        const std::string_view value(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
        const bool null = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && e.data.scalar.tag == nullptr &&
                          IsPlainNull(value);
        YamlData& d = New(null ? YamlData::Kind::null : YamlData::Kind::scalar, line, column);
        if (!null) d.value = value;
        if (e.data.scalar.anchor != nullptr) Anchor(reinterpret_cast<const char*>(e.data.scalar.anchor), d);
        return Attach(&d);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool map = e.type == YAML_MAPPING_START_EVENT;
        if (open_.size() >= kYamlMaxDepth) {
          return Fail(line, column, fmt::format("collections nested deeper than {} levels", kYamlMaxDepth));
        }
        YamlData& d = New(map ? YamlData::Kind::mapping : YamlData::Kind::sequence, line, column);
        if (!Attach(&d)) return false;
        // A collection's anchor names it once it is complete: an alias inside it would
        // make a cycle (the schema check would follow it forever).
        const yaml_char_t* anchor = map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor;
        open_.push_back({&d, anchor != nullptr ? reinterpret_cast<const char*>(anchor) : ""});
        return true;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (!open_.back().anchor.empty()) Anchor(open_.back().anchor, *open_.back().node);
        open_.pop_back();
        return true;
      case YAML_ALIAS_EVENT: {
        const std::string name(reinterpret_cast<const char*>(e.data.alias.anchor));
        const auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          const bool inside = std::any_of(open_.begin(), open_.end(), [&](const Open& o) { return o.anchor == name; });
          return Fail(line, column, inside ? fmt::format("alias '*{}' is inside the node it names", name)
                                           : fmt::format("alias '*{}' names no anchor", name));
        }
        return Attach(it->second);
      }
      default:
        return true;
    }
  }

  bool Fail(int line, int column, std::string message) {
    doc_->error = YamlError{line, column, std::move(message)};
    doc_->root_ = nullptr;
    return false;
  }

 private:
  YamlData& New(YamlData::Kind kind, int line, int column) {
    YamlData& d = doc_->nodes_.emplace_back();
    d.kind = kind;
    d.line = line;
    d.column = column;
    return d;
  }
  void Anchor(const std::string& name, const YamlData& d) { anchors_[name] = &d; }
  // Add `d` to the open collection, or make it the root.
  bool Attach(const YamlData* d) {
    if (open_.empty()) {
      doc_->root_ = d;
      return true;
    }
    YamlData& parent = *open_.back().node;
    // Every open collection holds `d`: each grows by its size.
    for (Open& o : open_) {
      o.node->expanded += d->expanded;
      if (o.node->expanded > kYamlMaxExpanded) {
        return Fail(d->line, d->column,
                    fmt::format("aliases expand this document past {} nodes", kYamlMaxExpanded));
      }
    }
    const bool is_key = parent.kind == YamlData::Kind::mapping && parent.children.size() % 2 == 0;
    if (is_key && d->kind == YamlData::Kind::scalar) {
      for (std::size_t i = 0; i < parent.children.size(); i += 2) {
        const YamlData& other = *parent.children[i];
        if (other.kind == YamlData::Kind::scalar && other.value == d->value) {
          return Fail(d->line, d->column,
                      fmt::format("duplicate key '{}' (first at line {}): only one would count", d->value, other.line));
        }
      }
    }
    parent.children.push_back(d);
    return true;
  }

  YamlDocument* doc_;
  struct Open {
    YamlData* node;
    std::string anchor;  // its anchor, named when it closes; empty: none
  };
  std::vector<Open> open_;
  std::map<std::string, const YamlData*, std::less<>> anchors_;
  int documents_ = 0;
};

YamlDocument ParseYaml(std::string_view text) {
  YamlDocument doc;
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    doc.error = YamlError{0, 0, "out of memory"};
    return doc;
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  YamlBuilder builder(&doc);
  for (;;) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      std::string message = parser.problem != nullptr ? parser.problem : "malformed YAML";
      if (parser.context != nullptr) {
        message += fmt::format(" ({} at line {})", parser.context, parser.context_mark.line + 1);
      }
      builder.Fail(static_cast<int>(parser.problem_mark.line) + 1, static_cast<int>(parser.problem_mark.column) + 1,
                   std::move(message));
      break;
    }
    const bool end = event.type == YAML_STREAM_END_EVENT;
    const bool ok = builder.Event(event);
    yaml_event_delete(&event);
    if (!ok || end) break;
  }
  yaml_parser_delete(&parser);
  return doc;
}

}  // namespace fraudscan::detail
