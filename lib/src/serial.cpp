#include "serial.hpp"

namespace fraudscan::detail {

uint64_t Checksum(std::string_view bytes) {
  constexpr uint64_t kPrime = 1099511628211ull;
  // Four independent lanes over 8-byte words, so that the multiplications overlap.
  uint64_t lane[4] = {1469598103934665603ull, 0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull};
  std::size_t i = 0;
  for (; i + 32 <= bytes.size(); i += 32) {
    for (int k = 0; k < 4; ++k) {
      uint64_t w;
      std::memcpy(&w, bytes.data() + i + 8 * k, 8);
      lane[k] = (lane[k] ^ w) * kPrime;
      lane[k] ^= lane[k] >> 29;  // let the high bits reach the low bits of the next step
    }
  }
  uint64_t h = lane[0];
  for (int k = 1; k < 4; ++k) h = (h ^ lane[k]) * kPrime;
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * kPrime;
  return (h ^ bytes.size()) * kPrime;
}

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
