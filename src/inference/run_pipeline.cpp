#include "inference/run_pipeline.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <limits>
#include <ctime>
#include <map>
#include <optional>
#include <random>

#include "bench/flop_count.hpp"
#include "celeste/model/components.hpp"
#include "celeste/optimizer/status.hpp"
#include "inference/catalog_state.hpp"
#include "inference/checkpoint.hpp"
#include "inference/distributed_stages.hpp"
#include "inference/mpi_catalog_state.hpp"
#include "inference/cyclades.hpp"
#include "inference/output_plan.hpp"
#include "inference/regions.hpp"
#include "inference/star_hypothesis.hpp"
#include "inference/type_evidence.hpp"
#include "config/effective_config.hpp"
#include "io/atomic_file.hpp"
#include "io/catalog_entries.hpp"
#include "io/catalog_output.hpp"
#include "io/generic_images.hpp"
#include "io/image_cache.hpp"
#include "io/image_index.hpp"
#include "io/input_warning.hpp"
#include "io/model_images.hpp"
#include "io/photoobj.hpp"
#include "io/sdss_field.hpp"
#include "model/init_params.hpp"
#include "model/patches.hpp"
#include "model/render.hpp"
#include "model/source_fit.hpp"
#include "runtime/backend.hpp"
#include "runtime/profiling_region.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace celeste::inference {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The Cyclades plan balances load over this many threads whatever the hardware, so the
// catalog is identical for any thread count (docs/decisions.md).
constexpr int kNominalPlanThreads = 16;
// A round is fitted in chunks of this many targets per thread, so that a checkpoint can fall
// inside a long round (docs/checkpoint.md). 16 keeps the idle tail of a chunk (at most one fit
// per thread) near 1/16 of it; the chunking changes no fit, so it may depend on the threads.
constexpr int kChunkTargetsPerThread = 16;
// A progress line at most this often while fitting (--verbose: every second), and one at the
// end of each stage.
constexpr double kProgressSeconds = 10.0;
constexpr double kVerboseProgressSeconds = 1.0;
// execution.image_cache_mb when 0 or absent (docs/decisions.md "Task-local images").
constexpr double kDefaultImageCacheMb = 4096;
// A distributed rank asks for its next task when the running one is expected to end within
// kPrefetchLeadFactor loading times of a task's images plus kPrefetchLeadMarginS.
constexpr double kPrefetchLeadFactor = 2.0;
constexpr double kPrefetchLeadMarginS = 0.2;

// The footprint index of every input image, from the headers only (io/image_index.hpp).
std::vector<io::ImageFootprint> index_images(const config::RunConfig& cfg) {
  std::vector<io::ImageFootprint> index;
  for (const auto& src : cfg.images) {
    std::vector<io::ImageFootprint> v;
    if (src.format == "generic") {
      for (const auto& path : src.paths) {
        auto w = io::index_generic_file(path);
        v.insert(v.end(), std::make_move_iterator(w.begin()), std::make_move_iterator(w.end()));
      }
    } else {
      v = io::index_sdss_field(src.directory, src.run, src.camcol, src.field, src.bands,
                               cfg.model.psf_components);
    }
    index.insert(index.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  }
  if (index.empty()) throw InputError(cfg.file + ": no images to process");
  return index;
}

void check_psf(const survey::Image& im) {
  if (im.psf.empty() || static_cast<int>(im.psf.size()) > model::kMaxPsfComponents)
    throw InputError(im.source + ": PSF has " + std::to_string(im.psf.size()) +
                     " Gaussian components; this build supports 1.." +
                     std::to_string(model::kMaxPsfComponents));
}

// model.md §8.3 bad sky: in the first i-band image containing the source, the claimed sky at
// the source (electrons) plus a margin is below the median of the unmasked pixels within
// ±kBadSkyHalfBoxPx; the margin is kBadSkyMarginElectrons or 3σ of the Poisson noise.
// −1: `im` is not an i-band image containing the source; else whether its sky is bad there.
constexpr int kBadSkyHalfBoxPx = 50;
constexpr double kBadSkyMarginElectrons = 5.0;
int bad_sky_in(const survey::CatalogEntry& e, const survey::Image& im) {
  if (im.band != survey::kBandI) return -1;
  const auto p = im.wcs.world_to_pix(e.ra, e.dec);
  const int h = static_cast<int>(std::lround(p[0])), w = static_cast<int>(std::lround(p[1]));
  if (h < 1 || h > im.width || w < 1 || w > im.height) return -1;
  std::vector<float> box;
  const int r = kBadSkyHalfBoxPx;
  for (int ww = std::max(1, w - r); ww <= std::min(im.height, w + r); ++ww)
    for (int hh = std::max(1, h - r); hh <= std::min(im.width, h + r); ++hh) {
      const float x = im.pixels[im.index(hh, ww)];
      if (!std::isnan(x)) box.push_back(x);
    }
  if (box.empty()) return 0;
  std::nth_element(box.begin(), box.begin() + box.size() / 2, box.end());
  const double claimed = im.iota[h - 1] * im.sky[im.index(h, w)];
  // model.md uses a fixed 5 e- margin; we also require 3 sigma of one pixel's Poisson noise so
  // that deep synthetic/modern skies (1000+ e-) are not all flagged (docs/decisions.md).
  return claimed + std::max(kBadSkyMarginElectrons, 3.0 * std::sqrt(claimed)) < box[box.size() / 2];
}

// What the plan needs of the pixels, per (source, image) patch: its box, radius, Jacobian
// and active-pixel count, and the bad-sky test; each rank computes it for its share of the
// images (image n on rank n mod ranks) and all ranks get every rank's (docs/scheduling.md).
struct PatchPlan {
  model::SurveyPatches patches;   // boxes, radii, Jacobians; no active pixels, no stamps
  std::vector<double> work;       // per source: active pixels over images
  std::vector<char> bad_sky;      // per target
  double load_s = 0;              // this rank's loading of its share
};
constexpr int kPatchRecordDoubles = 13;

PatchPlan plan_patches(const survey::Catalog& catalog, const std::vector<char>& is_target,
                       io::ImageCache& cache, const model::PatchOptions& options, int rank,
                       int ranks) {
  const int S = static_cast<int>(catalog.size());
  const int N = static_cast<int>(cache.images().size());
  PatchPlan plan;
  std::vector<double> mine;
  for (int n = rank; n < N; n += ranks) {
    plan.load_s += cache.acquire({n});
    if (n + ranks < N) cache.prefetch({n + ranks});  // read while this one's patches are made
    const survey::Image& im = cache.images()[n];
    check_psf(im);
    for (int s = 0; s < S; ++s) {
      const auto p = model::source_patch(catalog[s], im, n, options);
      if (!p) continue;
      const double rec[kPatchRecordDoubles] = {
          static_cast<double>(s), static_cast<double>(n), static_cast<double>(p->h0),
          static_cast<double>(p->h1), static_cast<double>(p->w0), static_cast<double>(p->w1),
          p->radius, static_cast<double>(p->active_count()), p->jac[0], p->jac[1], p->jac[2],
          p->jac[3], static_cast<double>(is_target[s] ? bad_sky_in(catalog[s], im) : -1)};
      mine.insert(mine.end(), rec, rec + kPatchRecordDoubles);
    }
  }
#if CELESTE_HAVE_MPI
  const std::vector<double> all = ranks > 1 ? allgather_doubles(MPI_COMM_WORLD, mine) : mine;
#else
  const std::vector<double>& all = mine;
#endif
  // Records in (source, image) order, as build_patches lists them.
  const std::size_t count = all.size() / kPatchRecordDoubles;
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  auto key = [&](std::size_t i) {
    return std::make_pair(all[i * kPatchRecordDoubles], all[i * kPatchRecordDoubles + 1]);
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  plan.patches.by_source.resize(S);
  plan.patches.max_radius.assign(S, 0.0);
  plan.patches.neighbor_light_in_box = options.neighbor_light_in_box;
  plan.work.assign(S, 0.0);
  plan.bad_sky.assign(S, 0);
  std::vector<char> bad_sky_known(S, 0);
  for (std::size_t i : order) {
    const double* r = all.data() + i * kPatchRecordDoubles;
    const int s = static_cast<int>(r[0]);
    model::SourcePatch p;
    p.image = static_cast<int>(r[1]);
    p.h0 = static_cast<int>(r[2]);
    p.h1 = static_cast<int>(r[3]);
    p.w0 = static_cast<int>(r[4]);
    p.w1 = static_cast<int>(r[5]);
    p.radius = r[6];
    p.jac = {r[8], r[9], r[10], r[11]};
    p.u0 = {catalog[s].ra, catalog[s].dec};
    plan.work[s] += r[7];
    plan.patches.max_radius[s] = std::max(plan.patches.max_radius[s], p.radius);
    if (r[12] >= 0 && !bad_sky_known[s]) {  // the first i-band image containing it decides
      plan.bad_sky[s] = r[12] > 0;
      bad_sky_known[s] = 1;
    }
    plan.patches.by_source[s].push_back(std::move(p));
  }
  model::find_neighbors(plan.patches, N);
  return plan;
}

// The sources a region's fits read besides its targets: their neighbours that are not
// targets of the region (ascending).
std::vector<int> task_neighbors(const std::vector<int>& targets, const model::SurveyPatches& patches) {
  std::vector<int> out;
  for (int s : targets) out.insert(out.end(), patches.neighbors[s].begin(), patches.neighbors[s].end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  std::vector<int> outside;
  std::set_difference(out.begin(), out.end(), targets.begin(), targets.end(),
                      std::back_inserter(outside));
  return outside;
}

// "YYYYMMDDTHHMMSSZ-xxxxxxxx": UTC start time and 32 random bits.
std::string new_run_id() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::random_device rd;
  char id[64];
  std::snprintf(id, sizeof id, "%s-%08x", stamp, static_cast<unsigned>(rd()));
  return id;
}

// Replaces `state` by the checkpoint's when there is one of this run (same fingerprint and
// the same planned tasks); else says why it starts from the beginning or refuses.
void resume_from_checkpoint(const OutputPlan& plan, const config::RunConfig& cfg, RunState& state,
                            RunReport& rep) {
  if (!std::filesystem::exists(plan.checkpoint)) {
    log::info("celeste run: --resume: no checkpoint " + plan.checkpoint +
              "; starting from the beginning");
    return;
  }
  RunState saved = read_checkpoint(plan.checkpoint);
  if (saved.fingerprint != state.fingerprint)
    throw ConfigError(plan.checkpoint + ": this checkpoint belongs to another run (the config " +
                      cfg.file + ", an input file or the software changed since it was "
                      "written); remove it to start afresh, or run without --resume");
  if (saved.rounds_total != state.rounds_total || saved.params.size() != state.params.size())
    throw InputError(plan.checkpoint + ": the checkpoint's tasks do not match this run's plan "
                     "(same fingerprint, different plan: a bug); remove it to start afresh");
  for (std::size_t st = 0; st < saved.rounds_done.size(); ++st)
    for (std::size_t r = 0; r < saved.rounds_done[st].size(); ++r)
      if (saved.rounds_done[st][r] < 0 || saved.rounds_done[st][r] > saved.rounds_total[st][r] ||
          saved.next_round_targets_done[st][r] < 0 ||
          (saved.rounds_done[st][r] == saved.rounds_total[st][r] &&
           saved.next_round_targets_done[st][r] != 0))
        throw InputError(plan.checkpoint + ": checkpoint is corrupt (round counts out of range)");
  rep.resumed = true;
  rep.resumed_fits = saved.counters.fits;
  rep.resumed_inference_s = saved.counters.inference_s;
  for (const auto& stage : saved.rounds_done)
    for (auto done : stage) rep.resumed_rounds += done;
  log::info(log::format("celeste run: resuming from %s: %ld fits in %ld rounds already done "
                        "(%.1f s of fitting)",
                        plan.checkpoint.c_str(), rep.resumed_fits, rep.resumed_rounds,
                        rep.resumed_inference_s));
  state = std::move(saved);
}

// output.log: rank 0 writes the log file from here on (a resumed run appends to it). It stays
// open after the run, so that the caller's last error reaches it; a later run in the same
// process replaces it (or closes it, without output.log).
void open_run_log(const config::RunConfig& cfg, const OutputPlan& plan, bool resume) {
  if (plan.log.empty()) {
    log::close_file();
    return;
  }
  if (!cfg.output.overwrite && !resume && std::filesystem::exists(plan.log))
    throw ConfigError(cfg.file + ": output.overwrite is false and " + plan.log + " exists",
                      {cfg.file, 0, 0, "output.log", plan.log});
  const std::string why = log::open_file(plan.log, resume);
  if (!why.empty())
    throw ConfigError(cfg.file + ": output.log: cannot write the log file " + plan.log + ": " +
                          why,
                      {cfg.file, 0, 0, "output.log", plan.log});
}

// "10 SDSS frames (2 fields), 3 generic files": what load_images is about to read.
std::string images_to_load(const config::RunConfig& cfg) {
  long frames = 0, fields = 0, files = 0;
  for (const auto& src : cfg.images) {
    if (src.format == "generic") {
      files += static_cast<long>(src.paths.size());
    } else {
      ++fields;
      frames += static_cast<long>(src.bands.size());
    }
  }
  std::string out;
  if (fields > 0)
    out = log::format("%ld SDSS frame(s) of %ld field(s)", frames, fields);
  if (files > 0) out += (out.empty() ? "" : ", ") + log::format("%ld generic FITS file(s)", files);
  return out;
}

// "308 dropped: 212 not_star_or_galaxy, 60 deblend_parent, ..." (reasons with rows only).
std::string dropped_text(const io::CatalogRowCounts& rows) {
  std::string out = std::to_string(rows.dropped_total()) + " dropped";
  std::string sep = ": ";
  for (const auto& [reason, n] : rows.dropped)
    if (n > 0) {
      out += sep + std::to_string(n) + " " + reason;
      sep = ", ";
    }
  return out;
}

}  // namespace

RunReport run_pipeline(const config::RunConfig& cfg, const RunControl& control,
                       std::vector<survey::SourceResult>* out) {
  const auto t_start = Clock::now();
  RunReport rep;
  rep.run_id = new_run_id();
  rep.config_file = cfg.file;
  rep.provenance.run_id = rep.run_id;
  rep.provenance.start_utc = io::utc_timestamp(std::time(nullptr));
  // The execution space the fits run on (checked before any work: an unknown or absent one is
  // a ConfigError naming the backends of this build).
  const std::string backend = !control.backend.empty() ? control.backend : cfg.execution.backend;
  runtime::with_backend(backend, [&](auto space) {
    rep.backend = space.name();
    rep.threads = static_cast<int>(space.concurrency());
  });
  // Where the hot arrays go (one message when hbw is asked for and there is none).
  rep.memory = runtime::choose_memory(cfg.execution.memory);
  runtime::reset_placement_stats();
  rep.layout = runtime::thread_layout();
  rep.passes = cfg.inference.passes;
  rep.flops_per_visit = bench::flops_per_active_visit(cfg.model.psf_components);

#if CELESTE_HAVE_MPI
  int mpi_initialized = 0;
  MPI_Initialized(&mpi_initialized);
  if (mpi_initialized) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rep.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &rep.ranks);
  }
#endif
  // Outputs: decided and checked before any work (names, folder, stale temporaries); rank 0
  // alone touches the folder.
  const OutputPlan plan = plan_outputs(cfg, rep.rank == 0);
  log::set_rank(rep.rank, rep.ranks);
  if (rep.rank == 0) open_run_log(cfg, plan, control.resume);
  const std::uint64_t fingerprint = run_fingerprint(cfg, plan);

  // ---------------------------------------------------------------- inputs
  auto t = Clock::now();
  std::optional<runtime::ProfilingRegion> phase(std::in_place, "Celeste::load_images");
  log::info("celeste run: loading images: " + images_to_load(cfg));
  // The footprint index (headers only); pixels are read by the cache when a task needs them.
  const std::vector<io::ImageFootprint> image_index = index_images(cfg);
  rep.images = static_cast<int>(image_index.size());
  rep.image_cache_mb = cfg.execution.image_cache_mb > 0 ? cfg.execution.image_cache_mb
                                                        : kDefaultImageCacheMb;
  io::ImageCache cache(image_index, static_cast<std::size_t>(rep.image_cache_mb * 1e6));
  const std::vector<survey::Image>& images = cache.images();  // headers until loaded
  rep.timings.image_loading = seconds_since(t);
  {
    double pixels = 0;
    for (const auto& im : images) pixels += static_cast<double>(im.width) * im.height;
    log::info(log::format("celeste run: loaded %d images (%.1f Mpixel) in %s", rep.images,
                          pixels * 1e-6, log::duration_text(rep.timings.image_loading).c_str()));
  }
  phase.emplace("Celeste::plan");  // catalog, patches, regions, Cyclades plans

  t = Clock::now();
  const survey::Catalog catalog =
      cfg.catalog.format == "photoobj"
          ? io::read_photoobj(cfg.catalog.path, &rep.catalog_rows)
          : io::read_catalog_entries(cfg.catalog.path, &rep.catalog_rows);
  log::info(log::format("celeste run: catalog %s (%s): %ld rows, ", cfg.catalog.path.c_str(),
                        cfg.catalog.format.c_str(), rep.catalog_rows.read) +
            dropped_text(rep.catalog_rows) + ", " + std::to_string(catalog.size()) + " sources");
  io::validate_catalog_against_images(catalog, images, cfg.catalog.path);
  const int S = static_cast<int>(catalog.size());
  rep.catalog_sources = S;

  // Sky box: configured, or the catalog's bounding box (slightly enlarged so every source is
  // strictly inside).
  SkyBox sky;
  if (cfg.region) {
    sky = {cfg.region->ra_min, cfg.region->ra_max, cfg.region->dec_min, cfg.region->dec_max};
  } else {
    sky = {1e300, -1e300, 1e300, -1e300};
    for (const auto& e : catalog) {
      sky.ra_min = std::min(sky.ra_min, e.ra);
      sky.ra_max = std::max(sky.ra_max, e.ra);
      sky.dec_min = std::min(sky.dec_min, e.dec);
      sky.dec_max = std::max(sky.dec_max, e.dec);
    }
    const double pad = 1e-6;
    sky = {sky.ra_min - pad, sky.ra_max + pad, sky.dec_min - pad, sky.dec_max + pad};
  }
  std::vector<SkyPoint> positions(S);
  std::vector<char> is_target(S, 0);
  for (int s = 0; s < S; ++s) {
    positions[s] = {catalog[s].ra, catalog[s].dec};
    is_target[s] = strictly_inside(sky, positions[s]);
    rep.targets += is_target[s];
  }
  if (rep.targets == 0)
    throw InputError(cfg.catalog.path + ": no catalog source lies inside the configured region");
  {
    std::vector<long> pixels;
    for (const auto& im : images) pixels.push_back(static_cast<long>(im.width) * im.height);
    check_free_space(plan, expected_output_bytes(plan, rep.targets, S, pixels));
  }

  model::PatchOptions patch_options;
  const bool variant_k = cfg.model.variant == "K";  // P: the published model exactly
  patch_options.pixelized_stars = variant_k;
  patch_options.neighbor_light_in_box = variant_k;
  patch_options.radius_from_both_types = variant_k;
  // Patches' boxes, active-pixel counts and neighbours, each rank loading its share of the
  // images; a task builds its own patches' pixels from the images it loads.
  const PatchPlan patch_plan = plan_patches(catalog, is_target, cache, patch_options, rep.rank,
                                            rep.ranks);
  rep.image_loading.plan_s = patch_plan.load_s;
  rep.timings.image_loading += patch_plan.load_s;
  const model::SurveyPatches& patches = patch_plan.patches;
  const std::vector<double>& work = patch_plan.work;
  {
    // Fixed neighbours are the non-targets some target's fit sees; the others take no part.
    std::vector<char> neighbor(S, 0);
    for (int s = 0; s < S; ++s)
      if (is_target[s])
        for (int nb : patches.neighbors[s])
          if (!is_target[nb]) neighbor[nb] = 1;
    for (int s = 0; s < S; ++s) rep.fixed_neighbors += neighbor[s];
    rep.unused_sources = S - rep.targets - rep.fixed_neighbors;
    log::info(log::format("celeste run: %d targets inside the region, %d fixed neighbours around "
                          "them, %d sources outside the region unused",
                          rep.targets, rep.fixed_neighbors, rep.unused_sources));
  }

  RunState state;  // what a checkpoint saves: parameters, fit records, progress
  state.fingerprint = fingerprint;
  std::vector<model::SourceParams>& params = state.params;
  params.resize(S);
  std::vector<SourceBounds> boxes(S);
  for (int s = 0; s < S; ++s) {
    params[s] = is_target[s] ? model::generic_init_params(catalog[s])
                             : model::catalog_init_params(catalog[s]);
    boxes[s] = model::target_bounds(catalog[s].ra, catalog[s].dec,
                                    variant_k ? patches.max_radius[s] : 0.0);
  }

  // Regions: stage 1, and a second partition offset from it (only useful with > 1 region).
  const auto& cd = images[0].wcs.cd();
  const double deg_per_px = std::sqrt(std::fabs(cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0]));
  double max_radius = 0;
  for (double r : patches.max_radius) max_radius = std::max(max_radius, r);
  RegionOptions ro;
  ro.target_work = static_cast<double>(cfg.inference.region_target_pixels);
  ro.stage2_clearance_deg = 2.0 * 2.0 * max_radius * deg_per_px;
  const TwoStageRegions stages = partition_two_stages(sky, positions, work, ro);
  std::vector<const std::vector<Region>*> stage_list{&stages.stage1};
  if (cfg.inference.stages >= 2 && stages.stage1.size() > 1) {
    stage_list.push_back(&stages.stage2);
    if (stages.stage2_clearance_shortfalls > 0)
      io::warn_input(cfg.file + ": " + std::to_string(stages.stage2_clearance_shortfalls) +
                     " stage-2 region split(s) could not keep " +
                     std::to_string(ro.stage2_clearance_deg * 3600.0) +
                     " arcsec from the stage-1 boundaries; sources near them may be fitted "
                     "twice near a boundary (inference.region_target_pixels larger avoids it)");
  }
  rep.stages = static_cast<int>(stage_list.size());
  for (const auto* st : stage_list) rep.regions += static_cast<int>(st->size());
  rep.timings.setup = seconds_since(t) - patch_plan.load_s;

  // The images each task loads: the index's images meeting the box of its sources (targets
  // and their neighbours) grown by their largest patch radius (+1 px, diagonal, at the
  // coarsest pixel scale), where every patch box of those sources lies; and any image a patch
  // of its sources lies on that the footprint box missed (warned about: a bug or RA 0/360).
  double max_deg_per_px = 0;
  for (const auto& fp : image_index) {
    const auto& c = fp.header.wcs.cd();
    max_deg_per_px =
        std::max(max_deg_per_px, std::sqrt(std::fabs(c[0][0] * c[1][1] - c[0][1] * c[1][0])));
  }
  std::vector<std::vector<std::vector<int>>> task_images(stage_list.size());
  std::vector<std::vector<std::vector<int>>> task_sources(stage_list.size());
  bool warned_halo = false;
  // This rank's image loading so far (the report's image_loading, docs/run.md).
  auto image_counters = [&] {
    ImageLoadingCounters c = rep.image_loading;
    const io::ImageCacheStats cs = cache.stats();
    c.loads = cs.loads;
    c.hits = cs.hits;
    c.evictions = cs.evictions;
    c.bytes_loaded = cs.bytes_loaded;
    c.read_s = cs.load_s;
    return c;
  };
  for (std::size_t st = 0; st < stage_list.size(); ++st)
    for (const auto& region : *stage_list[st]) {
      std::vector<int> sources = task_neighbors(region.targets, patches);
      sources.insert(sources.end(), region.targets.begin(), region.targets.end());
      std::sort(sources.begin(), sources.end());
      std::array<double, 4> box{1e300, -1e300, 1e300, -1e300};
      double radius_px = 0;
      for (int src : sources) {
        box = {std::min(box[0], catalog[src].ra), std::max(box[1], catalog[src].ra),
               std::min(box[2], catalog[src].dec), std::max(box[3], catalog[src].dec)};
        radius_px = std::max(radius_px, patches.max_radius[src]);
      }
      std::vector<int> ims;
      if (!sources.empty())
        ims = io::images_meeting(image_index, box,
                                 (radius_px + 1.0) * std::sqrt(2.0) * max_deg_per_px);
      std::vector<int> needed;
      for (int src : sources)
        for (const auto& p : patches.by_source[src]) needed.push_back(p.image);
      std::sort(needed.begin(), needed.end());
      needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
      std::vector<int> missed;
      std::set_difference(needed.begin(), needed.end(), ims.begin(), ims.end(),
                          std::back_inserter(missed));
      if (!missed.empty()) {
        if (!warned_halo && rep.rank == 0)
          io::warn_input(images[missed.front()].source +
                         ": the footprint index missed an image a region's sources lie on; it "
                         "is loaded too (a footprint across RA 0/360 or near a pole)");
        warned_halo = true;
        ims.insert(ims.end(), missed.begin(), missed.end());
        std::sort(ims.begin(), ims.end());
      }
      task_images[st].push_back(std::move(ims));
      task_sources[st].push_back(std::move(sources));
    }

  // ---------------------------------------------------------------- inference
  model::FitOptions fit_options;
  auto& tr = fit_options.trust_region;
  tr.max_iterations = cfg.optimizer.max_iterations;
  tr.x_tol = cfg.optimizer.x_tol;
  tr.f_tol = cfg.optimizer.f_tol;
  tr.g_tol = cfg.optimizer.g_tol;
  tr.initial_radius = cfg.optimizer.initial_radius;
  tr.max_radius = cfg.optimizer.max_radius;
  fit_options.type_prior = cfg.model.type_prior;
  fit_options.backend = backend;
  fit_options.team_size = cfg.execution.team_size;
  fit_options.vector_length = cfg.execution.vector_length;
  const StarHypothesisOptions hypothesis_options;
  const TypeEvidenceOptions evidence_options;
  fit_options.memory = rep.memory.kind;

  // Every region's rounds, planned up front in its fixed (pass, batch, round) order: the unit
  // of progress a checkpoint records.
  struct RegionRounds {
    std::vector<std::vector<int>> rounds;  // catalog indices of each round's targets
    // Variant K: a last round that tries the star hypothesis of each target in turn
    // (star_hypothesis.hpp); −1: none.
    std::int64_t hypothesis_round = -1;
    // Variant K, last stage: then rounds [evidence_begin, evidence_end) that decide each
    // galaxy-called target's type by the evidence of the two hypotheses (type_evidence.hpp):
    // independent sets of the conflict graph (independent_rounds), so a round's decisions
    // are independent and run in parallel; empty: none.
    std::int64_t evidence_begin = 0, evidence_end = 0;
    bool evidence(std::int64_t k) const { return k >= evidence_begin && k < evidence_end; }
  };
  std::vector<std::vector<RegionRounds>> planned(stage_list.size());
  state.rounds_total.resize(stage_list.size());
  for (std::size_t st = 0; st < stage_list.size(); ++st) {
    for (const auto& region : *stage_list[st]) {
      RegionRounds rr;
      const int n = static_cast<int>(region.targets.size());
      if (n > 0) {
        std::map<int, int> local;  // catalog index -> local index
        for (int i = 0; i < n; ++i) local[region.targets[i]] = i;
        ConflictGraph graph(n);
        std::vector<double> costs(n);
        for (int i = 0; i < n; ++i) {
          const int s = region.targets[i];
          costs[i] = std::max(1.0, work[s]);
          for (int nb : patches.neighbors[s]) {
            const auto it = local.find(nb);
            if (it != local.end()) graph[i].push_back(it->second);
          }
        }
        CycladesOptions co;
        co.n_threads = kNominalPlanThreads;
        co.seed = static_cast<std::uint64_t>(cfg.inference.seed);
        co.target_costs = costs;
        const CycladesPlan cplan = plan_cyclades(graph, co);
        for (int pass = 0; pass < rep.passes; ++pass)
          for (int b = 0; b < static_cast<int>(cplan.batches.size()); ++b) {
            const auto orders = component_orders(cplan.batches[b], co.seed, pass, b);
            for (const auto& round : batch_rounds(cplan.batches[b], orders)) {
              std::vector<int> targets;
              for (int i : round) targets.push_back(region.targets[i]);
              rr.rounds.push_back(std::move(targets));
            }
          }
        if (variant_k) {
          rr.hypothesis_round = static_cast<std::int64_t>(rr.rounds.size());
          rr.rounds.push_back(region.targets);
          // The last stage only: every stage fits every source, and a later stage's passes
          // would refit an earlier decision under the mean-field call.
          if (st + 1 == stage_list.size()) {
            rr.evidence_begin = static_cast<std::int64_t>(rr.rounds.size());
            for (const auto& round : independent_rounds(graph)) {
              std::vector<int> targets;
              for (int i : round) targets.push_back(region.targets[i]);
              rr.rounds.push_back(std::move(targets));
            }
            rr.evidence_end = static_cast<std::int64_t>(rr.rounds.size());
          }
        }
      }
      state.rounds_total[st].push_back(static_cast<std::int64_t>(rr.rounds.size()));
      planned[st].push_back(std::move(rr));
    }
  }
  state.rounds_done.resize(stage_list.size());
  state.next_round_targets_done.resize(stage_list.size());
  for (std::size_t st = 0; st < stage_list.size(); ++st) {
    state.rounds_done[st].assign(state.rounds_total[st].size(), 0);
    state.next_round_targets_done[st].assign(state.rounds_total[st].size(), 0);
  }
  state.records.assign(S, survey::SourceResult{});
  state.stage_start_params = params;
  if (control.resume) resume_from_checkpoint(plan, cfg, state, rep);

  phase.reset();
  const auto t_inference = Clock::now();
  auto last_progress = Clock::now(), last_checkpoint = Clock::now();
  long fits_total_planned = 0;
  for (const auto* st : stage_list)
    for (const auto& region : *st) fits_total_planned += static_cast<long>(region.targets.size()) * rep.passes;
  log::info(log::format("celeste run: planned %d region(s) in %d stage(s): %ld fits (%d passes) "
                        "on %d rank(s) x %d thread(s), %s",
                        rep.regions, rep.stages, fits_total_planned, rep.passes, rep.ranks,
                        rep.threads, log::duration_text(seconds_since(t)).c_str()));
  WorkCounters& work_done = state.counters;
  const double inference_before = work_done.inference_s;
  auto save_checkpoint = [&](double fitting_s_this_session) {
    work_done.inference_s = inference_before + fitting_s_this_session;
    write_checkpoint(plan.checkpoint, state);
    ++rep.checkpoints_written;
    last_checkpoint = Clock::now();
  };

  // The tasks: a region's fits read every other source at the stage's start (CatalogState),
  // so the result does not depend on the order of the regions nor on who fits them.
  const char* fitted_on = nullptr;
  std::vector<Params> task_params(params);  // a task's view: stage start + its own progress
  std::vector<survey::SourceResult> task_records(S);
  const std::int64_t chunk_targets = std::int64_t{kChunkTargetsPerThread} * rep.threads;
  // Region `reg` of stage `st` from the progress in `state`, in chunks, reading `shared`; the
  // results are in task_params / task_records, and `after_chunk(chunk targets)` runs after
  // each chunk. Putting them back is the caller's: per chunk in one process (a checkpoint can
  // fall inside a round), once at the end in a distributed run.
  // A task's patches, with their active pixels and star stamps, from its loaded images.
  model::SurveyPatches task_patches;
  task_patches.by_source.resize(S);
  task_patches.neighbors = patches.neighbors;
  task_patches.max_radius = patches.max_radius;
  task_patches.neighbor_light_in_box = patches.neighbor_light_in_box;
  std::vector<int> task_patch_sources;  // whose by_source is filled
  std::size_t stage_of_last_task = stage_list.size();
  std::vector<int> prefetch_next;  // one process: the next task's images, known in advance
  auto prepare_task = [&](std::size_t st, std::size_t reg) {
    const double waited = cache.acquire(task_images[st][reg]);
    // A stage's first task on a rank cannot be prefetched in a distributed run (the scheduler
    // hands out a stage's tasks once the previous stage has ended).
    (st != stage_of_last_task ? rep.image_loading.wait_first_s : rep.image_loading.wait_late_s) +=
        waited;
    stage_of_last_task = st;
    if (!prefetch_next.empty()) cache.prefetch(prefetch_next);
    for (int src : task_patch_sources) task_patches.by_source[src].clear();
    task_patches.star_stamps.clear();
    task_patch_sources = task_sources[st][reg];
    for (int src : task_patch_sources)
      for (int n : task_images[st][reg])
        if (auto p = model::source_patch(catalog[src], images[n], n, patch_options))
          task_patches.by_source[src].push_back(std::move(*p));
    model::attach_star_stamps(task_patches, images, patch_options);
  };
  // after_chunk(changed, fraction done) runs between chunks of a round; between_fits, when
  // set, also inside a star-hypothesis move, after each of its fits.
  auto fit_region = [&](CatalogState& shared, std::size_t st, std::size_t reg, WorkCounters& work,
                        const std::function<void(const std::vector<int>&, double)>& after_chunk,
                        const std::function<void()>& between_fits) {
    const auto& rounds = planned[st][reg].rounds;
    const std::vector<int>& region_targets = (*stage_list[st])[reg].targets;
    prepare_task(st, reg);
    std::int64_t planned_fits = 0, fits_before = 0;  // targets over rounds: the fraction done
    for (std::size_t k = 0; k < rounds.size(); ++k) {
      planned_fits += static_cast<std::int64_t>(rounds[k].size());
      if (static_cast<std::int64_t>(k) < state.rounds_done[st][reg])
        fits_before += static_cast<std::int64_t>(rounds[k].size());
    }
    shared.get_start(task_neighbors(region_targets, patches), task_params);
    shared.get_current(region_targets, task_params, task_records);
    std::int64_t& next_done = state.next_round_targets_done[st][reg];
    std::vector<bool> movable(S, false);  // what a star-hypothesis move may refit
    for (int s : region_targets) movable[s] = true;
    // The region's targets placed once on the fit's backend for all its fit rounds (each
    // chunk uploads its patch table and the neighbours' parameters only); built at the first
    // chunk that fits, so a task whose remaining rounds are all decisions places nothing.
    std::optional<model::ResidentTask> resident;
    for (std::int64_t k = state.rounds_done[st][reg]; k < static_cast<std::int64_t>(rounds.size()); ++k) {
      const std::vector<int>& round = rounds[k];
      const auto round_size = static_cast<std::int64_t>(round.size());
      if (next_done > round_size)
        throw InputError(plan.checkpoint + ": checkpoint is corrupt (" +
                         std::to_string(next_done) + " targets done of a round of " +
                         std::to_string(round_size) + ")");
      // The star-hypothesis round takes one target after another, each for many fits: a chunk
      // of one target keeps a checkpoint's granularity there (the result does not depend on
      // the chunking of a sequential round).
      const bool evidence_round = planned[st][reg].evidence(k);
      const std::int64_t chunk = k == planned[st][reg].hypothesis_round ? 1 : chunk_targets;
      while (true) {
        const std::int64_t end = std::min(round_size, next_done + chunk);
        const std::vector<int> targets(round.begin() + next_done, round.begin() + end);
        // The sources whose results this chunk changed: its targets, and in the star-hypothesis
        // round also the close neighbours a kept move refitted.
        std::vector<int> changed = targets;
        if (k == planned[st][reg].hypothesis_round) {
          // One target after another (a move refits its close neighbours), in the round's
          // fixed order: the result does not depend on threads or ranks.
          for (int s : targets) {
            const auto move = try_star_hypothesis(images, task_patches, task_params, task_records, boxes,
                                                  movable, s, fit_options, hypothesis_options,
                                                  between_fits);
            work += move.work;
            changed.insert(changed.end(), move.changed.begin(), move.changed.end());
          }
          std::sort(changed.begin(), changed.end());
          changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
        } else if (evidence_round) {
          // Pairwise non-neighbours (independent_rounds), each decided against its
          // neighbours' state at the round's start, so the result does not depend on threads, chunks or
          // ranks.
          for (const auto& call : decide_types_by_evidence(images, task_patches, task_params,
                                                           task_records, boxes, targets,
                                                           fit_options, evidence_options)) {
            work += call.work;
            work.type_evidence_calls += call.evaluated ? 1 : 0;
            work.type_evidence_flips += call.flipped ? 1 : 0;
          }
        } else {
          std::vector<SourceBounds> chunk_boxes;
          for (int s : targets) chunk_boxes.push_back(boxes[s]);
          const auto tr0 = Clock::now();
          if (!resident) resident.emplace(images, task_patches, task_params, region_targets, fit_options);
          const auto fits = resident->fit(task_params, targets, chunk_boxes);
          const double wall = seconds_since(tr0);
          const int size = static_cast<int>(targets.size());
          if (size < rep.threads) work.load_imbalance_s += wall * (rep.threads - size) / rep.threads;
          for (int i = 0; i < size; ++i) {
            const int s = targets[i];
            const model::SourceFit& f = fits[i];
            fitted_on = f.execution_space;  // what really ran, for the report
            task_params[s] = f.params;
            model::record_fit(f, task_records[s]);
            work.count(f);
          }
        }
        const bool round_done = end == round_size;
        next_done = round_done ? 0 : end;
        if (round_done) state.rounds_done[st][reg] = k + 1;
        const double fraction = static_cast<double>(fits_before + end) / std::max<std::int64_t>(1, planned_fits);
        if (round_done) fits_before += round_size;
        if (after_chunk) after_chunk(changed, fraction);
        if (round_done) break;
      }
    }
  };

  // Progress counts the passes' fits (what fits_total_planned plans), not the star-hypothesis
  // moves' and the type-evidence decisions' extra fits.
  auto pass_fits = [&] {
    return work_done.fits - work_done.star_hypothesis_fits - work_done.type_evidence_fits;
  };
  const long pass_fits_resumed = pass_fits();  // a resumed run's, done before this session
  const double progress_seconds = log::verbose() ? kVerboseProgressSeconds : kProgressSeconds;
  // "celeste run: <where>: 600/1800 fits (33 %), 12 s elapsed, ETA 24 s".
  auto progress_line = [&](const std::string& where, long done) {
    log::info("celeste run: " + where + ": " +
              log::progress_text(done, fits_total_planned, pass_fits_resumed,
                                 seconds_since(t_inference), seconds_since(t_start)));
    last_progress = Clock::now();
  };
  auto print_progress = [&](std::size_t st, std::size_t reg) {
    if (seconds_since(last_progress) <= progress_seconds) return;
    progress_line(log::format("stage %zu/%d region %zu/%zu", st + 1, rep.stages, reg + 1,
                              planned[st].size()),
                  static_cast<long>(pass_fits()));
  };

  if (rep.ranks == 1) {
    LocalCatalogState local_state(state.stage_start_params, params, state.records);
    for (std::size_t st = 0; st < stage_list.size(); ++st) {
      bool stage_begun = false, stage_done = true;
      for (std::size_t reg = 0; reg < planned[st].size(); ++reg) {
        stage_begun |= state.rounds_done[st][reg] > 0 || state.next_round_targets_done[st][reg] > 0;
        stage_done &= state.rounds_done[st][reg] == state.rounds_total[st][reg];
      }
      if (stage_done) continue;
      const runtime::ProfilingRegion stage_region("Celeste::stage_" + std::to_string(st + 1));
      log::info(log::format("celeste run: stage %zu/%d: %zu region(s)", st + 1, rep.stages,
                            planned[st].size()));
      // A stage a checkpoint caught midway keeps the start state the checkpoint saved.
      if (!stage_begun) local_state.begin_stage();
      for (std::size_t reg = 0; reg < planned[st].size(); ++reg) {
        if (state.rounds_done[st][reg] == state.rounds_total[st][reg]) continue;
        const auto t_region = Clock::now();
        prefetch_next.clear();  // the next unfinished task's images, this stage or the next
        for (std::size_t s2 = st, r2 = reg + 1; s2 < stage_list.size() && prefetch_next.empty();
             ++s2, r2 = 0)
          for (; r2 < planned[s2].size(); ++r2)
            if (state.rounds_done[s2][r2] < state.rounds_total[s2][r2]) {
              prefetch_next = task_images[s2][r2];
              break;
            }
        fit_region(local_state, st, reg, work_done, [&](const std::vector<int>& targets, double) {
          // The chunk's results in the state, so that a checkpoint inside a round has them.
          local_state.put_current(targets, task_params, task_records);
          if (seconds_since(last_checkpoint) >= cfg.output.checkpoint_seconds)
            save_checkpoint(seconds_since(t_inference));
          print_progress(st, reg);
        }, nullptr);
        log::detail(log::format("celeste run: stage %zu region %zu/%zu: %zu targets in %s", st + 1,
                                reg + 1, planned[st].size(),
                                (*stage_list[st])[reg].targets.size(),
                                log::duration_text(seconds_since(t_region)).c_str()));
      }
      progress_line(log::format("stage %zu/%d done", st + 1, rep.stages),
                    static_cast<long>(pass_fits()));
    }
  } else {
#if CELESTE_HAVE_MPI
    // Every rank fits the tasks the scheduler gives it; rank 0 gets the catalog at the end.
    MpiCatalogState shared(MPI_COMM_WORLD, params);
    if (rep.resumed) shared.load_local(state.stage_start_params, params, state.records);
    std::vector<std::vector<double>> region_costs(stage_list.size());
    std::vector<std::vector<std::vector<int>>> region_targets(stage_list.size());
    for (std::size_t st = 0; st < stage_list.size(); ++st)
      for (const auto& region : *stage_list[st]) {
        region_costs[st].push_back(region.work);
        region_targets[st].push_back(region.targets);
      }
    DistributedOptions dopt;
    dopt.fanout = cfg.execution.scheduler_fanout;
    rep.scheduler_fanout = dopt.fanout;
    dopt.checkpoint_seconds = cfg.output.checkpoint_seconds;
    dopt.checkpoint_path = plan.checkpoint;
    dopt.fitting_s_before = inference_before;
    dopt.on_task_recorded = [&](const WorkCounters& finished, int stage) {
      const long done =
          finished.fits - finished.star_hypothesis_fits - finished.type_evidence_fits;
      if (done < fits_total_planned && seconds_since(last_progress) <= progress_seconds) return;
      progress_line(log::format("stage %d/%d", stage + 1, rep.stages), done);
    };
    double images_per_task = 0;
    long task_count = 0;
    for (const auto& stage : task_images)
      for (const auto& ims : stage) {
        images_per_task += static_cast<double>(ims.size());
        ++task_count;
      }
    images_per_task /= std::max(1L, task_count);
    dopt.prefetch = [&](int st, int reg) { cache.prefetch(task_images[st][reg]); };
    // Ask for the next task about one image-loading time (with a margin) before the running
    // one ends (docs/decisions.md "Distributed scheduler": not at its start).
    dopt.prefetch_lead_s = [&] {
      const io::ImageCacheStats cs = cache.stats();
      const double per_image = cs.loads > 0 ? cs.load_s / static_cast<double>(cs.loads) : 0.0;
      return kPrefetchLeadFactor * per_image * images_per_task + kPrefetchLeadMarginS;
    };
    dopt.image_counters = [&] { return image_counters(); };
    const DistributedResult dist = run_stages_distributed(
        state, shared, region_costs, region_targets,
        [&](CatalogState& task_state, int st, int reg, WorkCounters& work,
            const std::function<void(double)>& poll) {
          fit_region(task_state, static_cast<std::size_t>(st), static_cast<std::size_t>(reg),
                     work, [&](const std::vector<int>&, double fraction) { poll(fraction); },
                     // Inside a move: answer the scheduler only (no fraction, no prefetch).
                     [&] { poll(std::numeric_limits<double>::quiet_NaN()); });
          task_state.put_current(region_targets[st][reg], task_params, task_records);
        },
        dopt);
    if (rep.rank != 0) return rep;  // rank 0 writes the outputs
    work_done += dist.work;  // earlier sessions' (resume) plus this one's, all ranks
    rep.rank_activity = dist.ranks;
    rep.task_times = dist.tasks;
    rep.checkpoints_written += dist.checkpoints_written;
#endif
  }
  // All fitting done. The final checkpoint (a kill while writing the outputs then redoes none
  // of the fitting) is timed with the output, so that the fitting time it records, the
  // task-processing phase and the FLOP rate all measure the same interval.
  rep.timings.task_processing = seconds_since(t_inference);
  t = Clock::now();
  phase.emplace("Celeste::output");
  save_checkpoint(rep.timings.task_processing);
  rep.fits = work_done.fits;
  rep.newton_iterations = work_done.newton_iterations;
  rep.elbo_evaluations = work_done.elbo_evaluations;
  rep.active_pixel_visits = work_done.active_pixel_visits;
  rep.inactive_pixel_visits = work_done.inactive_pixel_visits;
  rep.star_hypotheses_tried = work_done.star_hypotheses_tried;
  rep.star_hypotheses_accepted = work_done.star_hypotheses_accepted;
  rep.star_hypothesis_fits = work_done.star_hypothesis_fits;
  rep.type_evidence_calls = work_done.type_evidence_calls;
  rep.type_evidence_flips = work_done.type_evidence_flips;
  rep.type_evidence_fits = work_done.type_evidence_fits;
  rep.type_evidence_evaluations = work_done.type_evidence_evaluations;
  rep.timings.load_imbalance = work_done.load_imbalance_s;
  rep.image_loading = image_counters();

  if (fitted_on) rep.backend = fitted_on;

  // ---------------------------------------------------------------- outputs
  std::vector<survey::SourceResult> results;  // one per target, catalog order
  for (int s = 0; s < S; ++s) {
    if (!is_target[s]) continue;
    survey::SourceResult r = state.records[s];  // its fit fields
    r.objid = catalog[s].objid;
    r.ra_init = catalog[s].ra;
    r.dec_init = catalog[s].dec;
    r.params = params[s];
    r.bad_sky = patch_plan.bad_sky[s] != 0;
    if (r.status_code != optimizer::not_fitted && !patches.by_source[s].empty())
      r.gal_position_angle_deg = survey::sky_position_angle_deg(
          params[s][param::angle], patches.by_source[s].front().jac, params[s][param::dec]);
    results.push_back(r);
  }
  std::map<std::string, int> flag_counts;
  const auto& flag_names = optimizer::failure_flag::kNamed;
  for (const auto& fl : flag_names) flag_counts[fl.name] = 0;
  for (const auto& r : results) {
    switch (r.status_code) {
      case optimizer::converged: ++rep.converged; break;
      case optimizer::max_iterations: ++rep.max_iterations; break;
      case optimizer::failed: ++rep.failed; break;
      default: ++rep.not_fitted; break;
    }
    for (const auto& fl : flag_names)
      if (static_cast<unsigned>(r.failure_flags) & fl.bit) ++flag_counts[fl.name];
  }
  for (const auto& fl : flag_names)  // at_bound is a warning in the catalog (model::record_fit)
    if (fl.bit != optimizer::failure_flag::at_bound)
      rep.failure_flag_counts.push_back({fl.name, flag_counts[fl.name]});
  for (const auto& fl : survey::warning_flag::kNamed) {
    int count = 0;
    for (const auto& r : results) count += (io::catalog_warning_flags(r) & fl.bit) != 0;
    rep.warning_flag_counts.push_back({fl.name, count});
  }

  rep.elbo_flops = static_cast<double>(rep.active_pixel_visits) * rep.flops_per_visit;
  rep.optimizer_flops = static_cast<double>(rep.newton_iterations) * bench::kOptimizerFlopsPerIteration;
  rep.total_flops = rep.elbo_flops + rep.optimizer_flops;
  // Work and time of all sessions of the run (a resumed run counts the checkpoint's too).
  const double fitting_s = state.counters.inference_s;
  rep.gflops = fitting_s > 0 ? rep.total_flops / fitting_s * 1e-9 : 0;

  // The output set: every file complete in its temporary, then renamed in a fixed order with
  // the report last; each carries the run id, so a reader can tell a mixed set.
  io::AtomicOutputSet outputs;
  io::OutputProvenance& provenance = rep.provenance;
  provenance.date_utc = io::utc_timestamp(std::time(nullptr));
  provenance.host = io::host_name();
  provenance.backend = rep.backend;
  provenance.threads = rep.threads;
  provenance.config_yaml = config::effective_config_yaml(cfg);
  for (const auto& f : plan.input_files) provenance.inputs.push_back(io::describe_input_file(f));
  log::info("celeste run: writing outputs to " + plan.directory);
  io::write_catalog_outputs(outputs, results, plan.catalog_fits, plan.catalog_hdf5, provenance);
  rep.outputs = {plan.catalog_fits, plan.catalog_hdf5};
  if (cfg.output.model_images)
    for (std::size_t n = 0; n < images.size(); ++n) {
      cache.acquire({static_cast<int>(n)});  // every image of the run, one at a time
      // Every source at its current parameters: targets fitted, neighbours at their start.
      const std::string path = model_image_path(plan, static_cast<int>(n), images[n].band);
      io::write_model_image_file(outputs.add(path), images[n],
                                 model::render_sources_nmgy(images[n], params, patch_options),
                                 provenance);
      rep.outputs.push_back(path);
    }
  rep.outputs.push_back(plan.report);
  rep.placement = runtime::placement_stats();
  rep.peak_resident_bytes = runtime::peak_resident_bytes();
  rep.timings.output = seconds_since(t);
  rep.timings.total = seconds_since(t_start);
  rep.sources_per_s = rep.targets / rep.timings.total;
  rep.timings.other = rep.timings.total - rep.timings.image_loading - rep.timings.setup -
                      rep.timings.task_processing - rep.timings.output;
  io::write_file(outputs.add(plan.report), report_json(rep), plan.report);
  outputs.commit_all();
  log::info(log::format("celeste run: wrote %zu files in %s; done in %s", rep.outputs.size(),
                        log::duration_text(seconds_since(t)).c_str(),
                        log::duration_text(seconds_since(t_start)).c_str()));
  // The set is in place: the checkpoint has served its purpose.
  std::error_code ec;
  std::filesystem::remove(plan.checkpoint, ec);
  if (out) *out = std::move(results);
  return rep;
}

}  // namespace celeste::inference
