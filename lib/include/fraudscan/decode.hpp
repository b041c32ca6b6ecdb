// decode: bytes of a file or record -> UTF-8 text.
//
// The first stage of the pipeline. Input may be UTF-8 (with or without a BOM),
// UTF-16 with a BOM, or GB18030/GBK from older systems. Decode() never fails: bytes
// that no encoding explains become U+FFFD and are counted, so the caller can warn
// naming the file, and scanning goes on.
//
// Example:
//   fraudscan::Decoded d = fraudscan::Decode(bytes);
//   if (d.binary) skip; if (d.invalid_bytes) warn(path, d.invalid_bytes);
//   use(d.text);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fraudscan {

// --- Interface ---

struct DecodeOptions {
  // Encoding to use instead of detection, as an ICU converter name ("GB18030",
  // "UTF-16LE", "Big5"...). Empty (the default): detect.
  std::string forced_encoding;
};

struct Decoded {
  std::string text;            // the text as UTF-8, BOM removed
  std::string encoding;        // "UTF-8", "UTF-16LE", "UTF-16BE", "GB18030" or the forced name
  std::size_t bom_size = 0;    // bytes of byte-order mark removed from the front
  std::size_t invalid_bytes = 0;  // byte sequences replaced by U+FFFD
  bool binary = false;         // looks like a binary file; `text` is empty
  std::string error;           // non-empty iff a forced encoding is unknown to ICU
};

// Return true iff `bytes` looks binary: a NUL byte in the first 8 KiB, unless the
// data starts with a UTF-16 byte-order mark.
bool LooksBinary(std::string_view bytes);

// Return `bytes` decoded to UTF-8.
// Detection order: UTF-8 BOM, UTF-16LE/BE BOM, valid UTF-8, valid GB18030; if none
// fits, UTF-8 with invalid sequences replaced by U+FFFD.
Decoded Decode(std::string_view bytes, const DecodeOptions& options = {});

// Return true iff `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace fraudscan
