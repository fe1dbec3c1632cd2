#pragma once
// Operations on a config tree (see schema.h): strict JSON loading, `--set` overrides,
// validation, the resolved-config dump and help text.
#include <filesystem>
#include <string>
#include <vector>

#include "setok/config/schema.h"
#include "setok/io/json.h"

namespace setok::config {

// Merges `json` into `root`. Unknown keys, wrong types and values outside a choice are errors
// naming the full path ("model.tokenizer.threshold: expected number, got string"); `label`
// (a file name, "--set") prefixes the message. Keys absent from `json` keep their values.
void apply_json(Section& root, const io::Json& json, const std::string& label = "",
                const std::string& path = "");

// Applies "a.b.c=value". The value is read by the field's type: numbers and booleans as JSON,
// strings verbatim (or as a JSON string when quoted), lists as a JSON array (string lists also
// as comma-separated text), sections as a JSON object merged into the section.
void apply_override(Section& root, const std::string& assignment);

// Runs every section's validate(), depth first.
void validate(const Section& root);

// Runs check_files() of every section at or under one of the dotted paths in `only` (all
// sections when empty), depth first. Apps call it before building models, naming just the
// sections they use, so e.g. inference does not demand the training data.
void check_files(const Section& root, const std::vector<std::string>& only = {});

// The resolved values of every field (a full config: loading it reproduces `root`).
io::Json to_json(const Section& root);

// Reads `file`, merges it into `root`, applies `overrides` in order, validates.
void load(Section& root, const std::filesystem::path& file,
          const std::vector<std::string>& overrides = {});

// Writes to_json(root) atomically (the run folder's config.resolved.json).
void write_resolved(const Section& root, const std::filesystem::path& file);

// One line per field: "model.tokenizer.k  int  5  neighbours in the density estimate".
std::string help_text(const Section& root);

}  // namespace setok::config
