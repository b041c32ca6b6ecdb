#include "serial.hpp"

#include <xxhash.h>

namespace fraudscan::detail {

uint64_t Checksum(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::string Writer::Finish() const {
  std::string bytes;
  bytes.reserve(16 + out_.size());
  const uint64_t size = out_.size();
  const uint64_t sum = Checksum(out_);
  bytes.append(reinterpret_cast<const char*>(&size), sizeof size);
  bytes.append(reinterpret_cast<const char*>(&sum), sizeof sum);
  bytes.append(out_);
  return bytes;
}

Reader::Reader(std::string_view bytes) {
  uint64_t size = 0;
  uint64_t sum = 0;
  if (bytes.size() < 16) throw SerialError("truncated");
  std::memcpy(&size, bytes.data(), 8);
  std::memcpy(&sum, bytes.data() + 8, 8);
  in_ = bytes.substr(16);
  if (size != in_.size()) throw SerialError("truncated");
  if (sum != Checksum(in_)) throw SerialError("checksum mismatch");
}

}  // namespace fraudscan::detail
