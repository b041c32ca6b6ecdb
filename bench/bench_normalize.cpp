// bench_normalize: throughput of the normalizer alone (NFKC+casefold, traditional to
// simplified, separators, digits, with the offset map), on Chinese text.
// Usage: bench_normalize FILE... (text files or JSON Lines; every byte is normalized)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fraudscan/normalize.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_normalize FILE...\n");
    return 2;
  }
  std::vector<std::string> texts;
  std::size_t bytes = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      bytes += line.size();
      texts.push_back(std::move(line));
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  fraudscan::Normalizer norm;
  const double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  fraudscan::NormalizedText out;
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    const auto start = std::chrono::steady_clock::now();
    std::size_t produced = 0;
    for (const auto& t : texts) {
      out.Clear();
      norm.Append(t, 0, &out);
      produced += out.text.size();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(bytes) / 1e6 / secs);
    if (produced == 0) std::printf("(nothing produced)\n");
  }
  std::printf("normalizer tables built in %.1f ms; %.1f MB in %zu lines; best of 5: %.0f MB/s (one core)\n", build_ms,
              static_cast<double>(bytes) / 1e6, texts.size(), best);
  return 0;
}
