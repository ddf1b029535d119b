// Fuzz-style robustness of the input readers (issue 12): small valid files (a generic image
// FITS, a FITS catalog, a psField, an SDSS frame, an fpM, a photoObj, a YAML configuration)
// are truncated at many offsets, get random bit flips, hostile header values and NaNs injected
// into their data and tables, and are read back. Each read must either succeed or throw one of
// celeste's error types (InputError, ConfigError): never crash, never another exception.
// Deterministic (fixed seeds); a few hundred reads in all.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "config/options.hpp"
#include "harness/shared_data.hpp"
#include "io/bad_input_fixtures.hpp"
#include "io/catalog_entries.hpp"
#include "io/generic_images.hpp"
#include "io/photoobj.hpp"
#include "io/sdss_field.hpp"
#include "io/sdss_psf.hpp"
#include "util/error.hpp"

namespace celeste::io {
namespace {

namespace fx = celeste::testing::fixtures;
using celeste::testing::scratch_dir;

constexpr std::size_t kFitsBlock = 2880;

struct Tally {
  int reads = 0, ok = 0, rejected = 0;
};

// One read of a mutated file: success or a celeste error; anything else fails the test.
void read_once(const std::string& what, const std::function<void()>& read, Tally& tally) {
  ++tally.reads;
  try {
    read();
    ++tally.ok;
  } catch (const InputError&) {
    ++tally.rejected;
  } catch (const ConfigError&) {
    ++tally.rejected;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": a " << typeid(e).name() << " escaped the reader: " << e.what();
  } catch (...) {
    ADD_FAILURE() << what << ": a non-standard exception escaped the reader";
  }
}

// The mutations, each a function of the original bytes and a random engine.
using Mutation = std::function<std::string(const std::string&, std::mt19937_64&)>;

std::string truncate_random(const std::string& b, std::mt19937_64& rng) {
  // Half near header/data block boundaries (where structure breaks), half anywhere.
  std::uniform_int_distribution<std::size_t> any(0, b.size() - 1);
  if (rng() % 2) return b.substr(0, any(rng));
  const std::size_t blocks = b.size() / kFitsBlock;
  const std::size_t block = std::uniform_int_distribution<std::size_t>(0, blocks)(rng);
  const long delta = std::uniform_int_distribution<long>(-81, 81)(rng);
  const long cut = std::clamp<long>(static_cast<long>(block * kFitsBlock) + delta, 0,
                                    static_cast<long>(b.size()) - 1);
  return b.substr(0, static_cast<std::size_t>(cut));
}

std::string flip_bits(const std::string& b, std::mt19937_64& rng) {
  std::string out = b;
  const int flips = std::uniform_int_distribution<int>(1, 16)(rng);
  std::uniform_int_distribution<std::size_t> pos(0, b.size() - 1);
  for (int i = 0; i < flips; ++i) out[pos(rng)] ^= static_cast<char>(1u << (rng() % 8));
  return out;
}

// Big-endian float / double NaN (and Inf) patterns written over the data (after the primary
// header), where image pixels, table cells and heaps live.
std::string inject_nans(const std::string& b, std::mt19937_64& rng) {
  std::string out = b;
  if (b.size() <= kFitsBlock + 8) return out;
  static const unsigned char f_nan[4] = {0x7f, 0xc0, 0x00, 0x00};
  static const unsigned char f_inf[4] = {0xff, 0x80, 0x00, 0x00};
  static const unsigned char d_nan[8] = {0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
  std::uniform_int_distribution<std::size_t> pos(kFitsBlock, b.size() - 8);
  const int count = std::uniform_int_distribution<int>(1, 64)(rng);
  for (int i = 0; i < count; ++i) {
    const std::size_t p = pos(rng) & ~std::size_t(3);
    switch (rng() % 3) {
      case 0: std::memcpy(&out[p], f_nan, 4); break;
      case 1: std::memcpy(&out[p], f_inf, 4); break;
      default: std::memcpy(&out[p], d_nan, 8); break;
    }
  }
  return out;
}

// A header card's value replaced by a hostile one (huge, negative, NaN-like, empty).
std::string hostile_header_value(const std::string& b, std::mt19937_64& rng) {
  std::vector<std::size_t> cards;
  for (std::size_t c = 0; c + 80 <= b.size(); c += 80) {
    if (b.compare(c + 8, 2, "= ") != 0) continue;
    const std::string key = b.substr(c, 8);
    if (key.rfind("SIMPLE", 0) == 0 || key.rfind("XTENSION", 0) == 0) continue;
    cards.push_back(c);
  }
  if (cards.empty()) return b;
  static const char* values[] = {"99999999999999999999", "-1", "0", "4294967297", "1E308",
                                 "-2147483649", "'NaN     '", "1000000000", "T", "'       '"};
  std::string out = b;
  const int edits = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int i = 0; i < edits; ++i) {
    const std::size_t c = cards[rng() % cards.size()];
    std::string v = values[rng() % (sizeof values / sizeof values[0])];
    v.resize(70, ' ');
    out.replace(c + 10, 70, v);
  }
  return out;
}

const Mutation kMutations[] = {truncate_random, flip_bits, inject_nans, hostile_header_value};
const char* const kMutationNames[] = {"truncate", "bit flips", "NaNs", "header value"};

// CELESTE_FUZZ_SCALE=N multiplies every iteration count (a deeper local search; the seeds
// stay fixed, so a failure reproduces with the same N).
int scaled(int iterations) {
  const char* env = std::getenv("CELESTE_FUZZ_SCALE");
  const int scale = env ? std::max(1, std::atoi(env)) : 1;
  return iterations * scale;
}

// `iterations` mutated copies of `original` at `path`, each read by `read`; the unmutated file
// is read first and must succeed (so the mutations, not the fixture, are what is rejected).
void fuzz_file(const std::string& original, const std::string& path, int iterations,
               std::uint64_t seed, const std::function<void()>& read, Tally& tally) {
  const std::string bytes = fx::read_file(original);
  ASSERT_GT(bytes.size(), 0u) << original;
  fx::write_file(path, bytes);
  EXPECT_NO_THROW(read()) << "the unmutated " << original << " must read";
  std::mt19937_64 rng(seed);
  iterations = scaled(iterations);
  for (int i = 0; i < iterations; ++i) {
    const int m = i % 4;
    const std::string mutated = kMutations[m](bytes, rng);
    fx::write_file(path, mutated);
    const int failures = ::testing::Test::HasFailure() ? 1 : 0;
    read_once(path + " (" + kMutationNames[m] + ", iteration " + std::to_string(i) + ")", read,
              tally);
    // Keep the file that broke a reader, for the report and a debugger.
    if (!failures && ::testing::Test::HasFailure())
      fx::write_file(path + ".failed-" + std::to_string(i), mutated);
  }
  fx::write_file(path, bytes);  // leave the valid file for the next reader
}

TEST(FuzzReaders, GenericImagesAndCatalog) {
  const std::string dir = scratch_dir("fuzz_generic");
  fx::write_small_generic_survey(dir);
  Tally tally;
  const std::string img = dir + "/fuzz-image.fits", cat = dir + "/fuzz-catalog.fits";
  fuzz_file(dir + "/r.fits", img, 160, 11, [&] { read_generic_images(img); }, tally);
  fuzz_file(dir + "/init.fits", cat, 120, 12, [&] { read_catalog_entries(cat); }, tally);
  std::printf("generic image + catalog: %d reads, %d read, %d rejected\n", tally.reads, tally.ok,
              tally.rejected);
  EXPECT_GT(tally.rejected, 0);
}

TEST(FuzzReaders, SdssFramePsFieldFpmPhotoObj) {
  const std::string dir = scratch_dir("fuzz_sdss");
  if (!fx::make_mini_sdss_field(dir)) GTEST_SKIP() << "real survey data not found: " << fx::kCutout;
  const auto m = fx::mini_field_names(dir);
  Tally tally;
  const std::string frame = dir + "/fuzz-frame.fits", psf = dir + "/fuzz-psField.fit";
  const std::string fpm = dir + "/fuzz-fpM.fit", pobj = dir + "/fuzz-photoObj.fits";
  const std::string pf = dir + "/fuzz-photoField.fits";
  fuzz_file(m.frame, frame, 100, 21, [&] { read_sdss_frame(frame); }, tally);
  fuzz_file(m.psfield, psf, 80, 22, [&] { read_sdss_eigen_psf(psf, 2); }, tally);
  fuzz_file(m.fpm, fpm, 48, 23, [&] { read_fpm_mask(fpm, 100, 100); }, tally);
  fuzz_file(m.photoobj, pobj, 48, 24, [&] { read_photoobj(pobj); }, tally);
  fuzz_file(m.photofield, pf, 32, 25, [&] { read_photofield_detector(pf, 100, 2); }, tally);
  // The whole field (PSF validated and fitted) with a mutated psField in place.
  fuzz_file(m.psfield, m.psfield, 32, 26, [&] { read_sdss_field(dir, 1000, 1, 100, {"r"}, 2); },
            tally);
  std::printf("SDSS frame, psField, fpM, photoObj, photoField, field: %d reads, %d read, %d "
              "rejected\n",
              tally.reads, tally.ok, tally.rejected);
  EXPECT_GT(tally.rejected, 0);
}

TEST(FuzzReaders, YamlConfig) {
  const std::string dir = scratch_dir("fuzz_yaml");
  const std::string text =
      "images:\n  - format: generic\n    paths: [a.fits, b.fits]\n  - format: sdss\n"
      "    directory: sdss\n    run: 94\n    camcol: 1\n    field: 12\n    bands: [r, i]\n"
      "catalog:\n  format: photoobj\n  path: p.fits\nregion:\n  ra: [0.1, 0.2]\n"
      "  dec: [-0.3, -0.1]\nmodel:\n  psf_components: 2\noptimizer:\n  max_iterations: 40\n"
      "  g_tol: 1.0e-9\ninference:\n  passes: 2\n  seed: 7\nexecution:\n  threads: 2\n"
      "output:\n  directory: out\n  overwrite: true\n";
  const std::string gen_text =
      "generate:\n  seed: 3\n  bands: [r, g]\n  epochs: 2\n  image_size: [64, 48]\n"
      "  source_count: 10\n  sky_nmgy: [1, 2]\noutput:\n  directory: d\n";
  const std::string path = dir + "/fuzz.yaml", gen = dir + "/fuzz-gen.yaml";
  fx::write_file(dir + "/valid.yaml", text);
  fx::write_file(dir + "/valid-gen.yaml", gen_text);
  Tally tally;
  // Bytes: truncations and flips; then tokens that YAML and the schema must reject cleanly.
  std::mt19937_64 rng(31);
  // std::string, so that the NUL token is one byte (a const char* to a temporary dangled).
  const std::string tokens[] = {"[", "]", "{", "}", ": ", "- ", "&a ", "*a ", "!!str ", "? ", "|\n",
                          ">\n", "\t", "'", "\"", "#", "~", ".nan", "-.inf", "4294967297",
                          "99999999999999999999", "\n  ", "\n", ",", "%YAML 1.2\n", "---\n",
                          "...\n", "<<: *a\n", "\xff\xfe", std::string(1, '\0')};
  EXPECT_NO_THROW(config::load_run_config(dir + "/valid.yaml"));
  EXPECT_NO_THROW(config::load_generate_config(dir + "/valid-gen.yaml"));
  const int iterations = scaled(240);
  for (int i = 0; i < iterations; ++i) {
    const std::string& base = i % 3 == 2 ? gen_text : text;
    const std::string& file = i % 3 == 2 ? gen : path;
    std::string t = base;
    switch (i % 4) {
      case 0: t = t.substr(0, rng() % t.size()); break;
      case 1: t = flip_bits(t, rng); break;
      default: {
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < n; ++k)
          t.insert(rng() % t.size(), tokens[rng() % (sizeof tokens / sizeof tokens[0])]);
      }
    }
    fx::write_file(file, t);
    read_once(file + " (iteration " + std::to_string(i) + ")",
              [&] {
                if (&file == &gen)
                  config::load_generate_config(file);
                else
                  config::load_run_config(file);
              },
              tally);
  }
  std::printf("YAML: %d reads, %d loaded, %d rejected\n", tally.reads, tally.ok, tally.rejected);
  EXPECT_GT(tally.rejected, 0);
}

}  // namespace
}  // namespace celeste::io
