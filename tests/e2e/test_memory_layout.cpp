// Issues 14 and 15 through the executable:
//  * `celeste info --json` is valid JSON on stdout (python3 -m json.tool) even when Kokkos
//    prints a warning while it starts (4 threads on this 2-core machine: "oversubscribing"),
//    and reports NUMA nodes, cores, the binding and the memory spaces;
//  * with nothing set, threads are spread over the cores one per core (OMP_PROC_BIND=spread,
//    OMP_PLACES=cores, each thread bound to its own core) and Kokkos' OMP_PROC_BIND warning is
//    gone; execution.threads_per_core beyond the hardware is a configuration error;
//  * --kokkos-threads=1 is passed to Kokkos by every subcommand;
//  * Kokkos Tools see the pipeline's phases as regions (a recording tool library);
//  * execution.memory: hbw on this machine's one NUMA node declared high-bandwidth through
//    memkind's MEMKIND_HBW_NODES=0 puts the hot arrays there (report: bytes in the hbw space,
//    none spilled: memkind's page check) and gives the catalog of ddr bit for bit; without a
//    high-bandwidth node it falls back to DDR with one message.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "harness/celeste_exe.hpp"
#include "harness/run_outputs.hpp"
#include "harness/shared_data.hpp"

namespace celeste::testing {
namespace {

// The environment of a user who set nothing (ctest gives every test OMP_PROC_BIND=false).
const char* kPlainEnvironment = "env -u OMP_PROC_BIND -u OMP_PLACES -u OMP_NUM_THREADS ";

std::string exe() {
  const char* e = std::getenv("CELESTE_EXE");
  return e ? e : "celeste";
}

// `celeste ARGS` with stdout alone (stderr dropped), piped through `filter` when given.
CommandResult run_stdout(const std::string& args, const std::string& filter = "") {
  return run_shell(std::string(scrub_mpi_environment()) + "(" + kPlainEnvironment + exe() + " " +
                   args + " 2>/dev/null)" + (filter.empty() ? "" : " | " + filter));
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(Info, JsonIsValidOnStdoutEvenWhenKokkosWarns) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/python3")) << "python3 (Debian) is needed";
  const auto plain = run_stdout("info --json", "/usr/bin/python3 -m json.tool");
  EXPECT_EQ(plain.status, 0) << plain.output;
  // 4 threads on 2 cores: Kokkos 3.4 prints "oversubscribing" with printf while it starts.
  const auto warned = run_stdout("info --json --threads 4", "/usr/bin/python3 -m json.tool");
  EXPECT_EQ(warned.status, 0) << warned.output;
  const auto both = run_celeste("info --json --threads 4", kPlainEnvironment);
  EXPECT_NE(both.output.find("oversubscribing"), std::string::npos)
      << "the warning still reaches the user, on stderr: " << both.output;
}

TEST(Info, ReportsMachineBindingAndMemorySpaces) {
  const auto r = run_stdout("info --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string& j = r.output;
  for (const char* key : {"\"numa_nodes\": [{\"os_index\": 0, \"memory_bytes\": ",
                          "\"high_bandwidth\": false", "\"cores\": ", "\"hardware_threads\": ",
                          "\"memory_spaces\": [\"HostSpace\"", "\"memkind:hbw\"",
                          "\"hbw_available\": false", "\"binding\": {"})
    EXPECT_NE(j.find(key), std::string::npos) << key << " in " << j;
  EXPECT_GT(json_number(j, "memory_bytes"), 1e8) << j;
  // The node memkind is told is high-bandwidth is reported as such.
  const auto declared =
      run_shell(std::string(scrub_mpi_environment()) + "(MEMKIND_HBW_NODES=0 " + kPlainEnvironment +
                exe() + " info --json 2>/dev/null)");
  EXPECT_NE(declared.output.find("\"high_bandwidth\": true"), std::string::npos) << declared.output;
  EXPECT_NE(declared.output.find("\"hbw_available\": true"), std::string::npos) << declared.output;
  const auto text = run_celeste("info", kPlainEnvironment);
  EXPECT_NE(text.output.find("NUMA node 0: "), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("binding: "), std::string::npos) << text.output;
}

TEST(Binding, DefaultIsOneThreadPerCoreSpreadAndKokkosDoesNotWarn) {
  const auto r = run_stdout("info --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string& j = r.output;
  EXPECT_EQ(json_string(j, "proc_bind"), "spread") << j;
  EXPECT_EQ(json_string(j, "places"), "cores") << j;
  EXPECT_EQ(json_string(j, "binding_source"), "celeste default") << j;
  const double cores = json_number(j, "allowed_cores");
  EXPECT_EQ(json_number(j, "threads"), cores) << "one thread per core: " << j;
  EXPECT_EQ(json_number(j, "cores_used"), cores) << "each thread bound to its own core: " << j;

  const auto both = run_celeste("info", kPlainEnvironment);
  EXPECT_EQ(both.status, 0) << both.output;
  EXPECT_EQ(both.output.find("OMP_PROC_BIND environment variable not set"), std::string::npos)
      << both.output;
  // The user's own setting wins.
  const auto env = run_shell(std::string(scrub_mpi_environment()) +
                             "(OMP_PROC_BIND=close OMP_PLACES=threads " + exe() +
                             " info --json 2>/dev/null)");
  EXPECT_EQ(json_string(env.output, "proc_bind"), "close") << env.output;
  EXPECT_EQ(json_string(env.output, "binding_source"), "environment") << env.output;
}

// A small synthetic survey and a run config over it (`execution` lines as given).
struct SmallSurvey {
  std::string dir;
  explicit SmallSurvey(const std::string& name) : dir(scratch_dir(name)) {
    config::GenerateConfig g;
    g.seed = 11;
    g.bands = {"r", "i"};
    g.width = g.height = 120;
    g.source_count = 20;
    write_generic_survey(dir, g);
  }
  std::string config(const std::string& name, const std::string& execution) const {
    const std::string path = dir + "/" + name + ".yaml";
    write_text(path, "images:\n  - format: generic\n    paths: [" + dir + "/r.fits, " + dir +
                         "/i.fits]\ncatalog:\n  format: generic\n  path: " + dir +
                         "/init.fits\ninference:\n  passes: 1\n" +
                         (execution.empty() ? "" : "execution:\n" + execution) +
                         "output:\n  directory: " + dir + "/" + name + "\n");
    return path;
  }
  std::string report(const std::string& name) const { return read_text(dir + "/" + name + "/report.json"); }
};

TEST(Binding, ThreadsPerCoreBeyondTheHardwareIsAConfigError) {
  const SmallSurvey s("binding_tpc");
  const auto r = run_celeste("run " + s.config("tpc", "  threads_per_core: 64\n"), kPlainEnvironment);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("execution.threads_per_core = 64: expected 1.."), std::string::npos)
      << r.output;
}

TEST(KokkosFlags, EverySubcommandPassesThemToKokkos) {
  const std::string dir = scratch_dir("kokkos_flags");
  const auto info = run_stdout("info --json --kokkos-threads=1");
  EXPECT_EQ(info.status, 0) << info.output;
  EXPECT_EQ(json_number(info.output, "concurrency"), 1) << info.output;
  const auto bench = run_celeste("bench fit --sources 4 --seconds 1 --json --kokkos-threads=1");
  EXPECT_EQ(bench.status, 0) << bench.output;
  EXPECT_NE(bench.output.find("\"threads\": 1,"), std::string::npos) << bench.output;
  // generate -> run -> score, each with the flag.
  const std::string gen = dir + "/gen.yaml";
  write_text(gen, "generate:\n  seed: 3\n  bands: [r]\n  image_size: [60, 60]\n  source_count: 3\n"
                  "output:\n  directory: " + dir + "/gen\n");
  const auto g = run_celeste("generate " + gen + " --kokkos-threads=1");
  ASSERT_EQ(g.status, 0) << g.output;
  const std::string run = dir + "/run.yaml";
  write_text(run, "images:\n  - format: generic\n    paths: [" + dir + "/gen/survey-r.fits]\n"
                  "catalog:\n  format: generic\n  path: " + dir + "/gen/init-catalog.fits\n"
                  "output:\n  directory: " + dir + "/run\n");
  const auto r = run_celeste("run " + run + " --kokkos-threads=1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(json_number(read_text(dir + "/run/report.json"), "threads"), 1);
  // Subcommands that start Kokkos through main(): the flag reaches Kokkos (a bad value is the
  // thread-count error, not "unknown option").
  for (const std::string& cmd :
       {"generate " + gen, "score --truth " + dir + "/gen/truth.fits --catalog " + dir +
                               "/run/catalog.fits",
        std::string("schedule-sim --synthetic 16 --ranks 1,2")}) {
    const auto ok = run_celeste(cmd + " --kokkos-threads=1");
    EXPECT_EQ(ok.status, 0) << cmd << ": " << ok.output;
    const auto bad = run_celeste(cmd + " --kokkos-threads=0");
    EXPECT_EQ(bad.status, 2) << cmd << ": " << bad.output;
    EXPECT_NE(bad.output.find("--kokkos-threads = 0: expected a thread count"), std::string::npos)
        << cmd << ": " << bad.output;
  }
}

TEST(KokkosTools, PipelinePhasesAreRegions) {
  const char* lib = std::getenv("CELESTE_REGION_RECORDER");
  ASSERT_NE(lib, nullptr) << "set by ctest";
  const SmallSurvey s("kokkos_tools");
  const std::string log = s.dir + "/regions.log";
  std::filesystem::remove(log);
  const auto r = run_celeste("run " + s.config("tools", "") + " --kokkos-tools-library=" + lib,
                             "CELESTE_REGION_LOG=" + log);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string regions = read_text(log);
  std::size_t at = 0;
  for (const char* phase : {"push Celeste::load_images", "push Celeste::plan",
                            "push Celeste::stage_1", "push Celeste::output"}) {
    const auto p = regions.find(phase, at);
    EXPECT_NE(p, std::string::npos) << phase << " (in order) in:\n" << regions;
    if (p != std::string::npos) at = p;
  }
  EXPECT_EQ(count(regions, "push "), count(regions, "pop\n")) << regions;
}

TEST(Memory, HbwOnADeclaredNodeGivesTheDdrCatalogBitForBit) {
  const SmallSurvey s("memory_hbw");
  const auto ddr = run_celeste("run " + s.config("ddr", "  memory: ddr\n"), "MEMKIND_HBW_NODES=0");
  ASSERT_EQ(ddr.status, 0) << ddr.output;
  const auto hbw = run_celeste("run " + s.config("hbw", "  memory: hbw\n"), "MEMKIND_HBW_NODES=0");
  ASSERT_EQ(hbw.status, 0) << hbw.output;
  expect_same_catalog(s.dir + "/ddr/catalog.fits", s.dir + "/hbw/catalog.fits", "hbw against ddr");

  const std::string rd = s.report("ddr"), rh = s.report("hbw");
  EXPECT_EQ(json_string(rh, "placement"), "hbw") << rh;
  EXPECT_EQ(json_string(rd, "placement"), "ddr") << rd;
  const auto space_peak = [](const std::string& j, const std::string& space) {
    const auto p = j.find("\"" + space + "\": {\"peak_bytes\": ");
    EXPECT_NE(p, std::string::npos) << space << " in " << j;
    return p == std::string::npos ? -1.0 : json_number(j.substr(p), "peak_bytes");
  };
  EXPECT_GT(space_peak(rh, "hbw"), 0) << rh;
  EXPECT_EQ(space_peak(rh, "ddr"), 0) << "nothing of the hot arrays in ddr: " << rh;
  EXPECT_EQ(space_peak(rd, "hbw"), 0) << rd;
  EXPECT_GT(space_peak(rd, "ddr"), 0) << rd;
  // The same arrays either way: the largest batch has the same bytes.
  EXPECT_EQ(json_number(rh, "largest_batch_bytes"), json_number(rd, "largest_batch_bytes"));
  EXPECT_EQ(json_number(rh, "hbw_spilled_bytes"), 0) << "memkind's page check: " << rh;
  EXPECT_GT(json_number(rh, "peak_resident_bytes"), 1e6) << rh;
  // auto takes the declared node too.
  const auto aut = run_celeste("run " + s.config("auto", ""), "MEMKIND_HBW_NODES=0");
  ASSERT_EQ(aut.status, 0) << aut.output;
  EXPECT_EQ(json_string(s.report("auto"), "placement"), "hbw");
}

TEST(Memory, NoHighBandwidthNodeFallsBackToDdrWithOneMessage) {
  const SmallSurvey s("memory_fallback");
  const auto r = run_celeste("run " + s.config("hbw", "  memory: hbw\n"), "env -u MEMKIND_HBW_NODES");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(count(r.output, "execution.memory: hbw, but memkind finds no high-bandwidth memory "
                            "node"),
            1)
      << r.output;
  EXPECT_EQ(json_string(s.report("hbw"), "placement"), "ddr") << s.report("hbw");
  // auto on such a machine: DDR without a message.
  const auto a = run_celeste("run " + s.config("auto", ""), "env -u MEMKIND_HBW_NODES");
  ASSERT_EQ(a.status, 0) << a.output;
  // (The run summary's "warning <flag>" lines count catalog warning bits, not this.)
  EXPECT_EQ(count(a.output, "execution.memory"), 0) << a.output;
  EXPECT_EQ(json_string(s.report("auto"), "placement"), "ddr");
}

}  // namespace
}  // namespace celeste::testing
