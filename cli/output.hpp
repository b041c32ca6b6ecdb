// output: formats scan results. Text (one line per transcript, --explain for all
// evidence), JSON Lines (docs/output.md) and CSV. Only formatting; the caller writes.
#pragma once

#include <string>

#include "fraudscan/engine.hpp"
#include "input.hpp"

namespace fraudscan::cli {

enum class OutputFormat { text, jsonl, csv };

struct OutputOptions {
  OutputFormat format = OutputFormat::text;
  bool explain = false;
  bool color = false;
  int threshold = 50;
};

// Return the output for one scanned job (may be several lines; ends with '\n').
std::string FormatResult(const Job& job, const Result& result, const OutputOptions& options);
// Return the JSON Lines record of an input that failed (jsonl output only).
std::string FormatJsonError(const Job& job);
// Return the CSV header line.
std::string CsvHeader();

}  // namespace fraudscan::cli
