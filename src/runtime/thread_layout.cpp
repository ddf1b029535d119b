#include "runtime/thread_layout.hpp"

#include <hbwmalloc.h>
#include <hwloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include "runtime/memory_placement.hpp"
#include "util/error.hpp"
#include "util/limits.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace celeste::runtime {
namespace {

// The machine's topology, loaded once (hwloc queries on a loaded topology are thread-safe).
hwloc_topology_t topology() {
  static const hwloc_topology_t t = [] {
    hwloc_topology_t topo;
    hwloc_topology_init(&topo);
    hwloc_topology_load(topo);
    return topo;
  }();
  return t;
}

std::string cpu_list(hwloc_const_bitmap_t set) {
  char* text = nullptr;
  hwloc_bitmap_list_asprintf(&text, set);
  std::string s = text ? text : "";
  std::free(text);
  return s;
}

// The hardware threads this process may run on.
hwloc_bitmap_t allowed_cpuset() {
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  if (hwloc_get_cpubind(topology(), set, HWLOC_CPUBIND_PROCESS) != 0 || hwloc_bitmap_iszero(set))
    hwloc_bitmap_copy(set, hwloc_topology_get_topology_cpuset(topology()));
  hwloc_bitmap_and(set, set, hwloc_topology_get_topology_cpuset(topology()));
  return set;
}

// memkind's own verdict on one page bound (strictly) to the node.
bool node_is_high_bandwidth(hwloc_obj_t node) {
  if (!hbw_available()) return false;
  const std::size_t page = 4096;
  void* p = hwloc_alloc_membind(topology(), page, node->nodeset, HWLOC_MEMBIND_BIND,
                                HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT);
  if (p == nullptr) return false;
  std::memset(p, 0, page);
  const bool hbw = hbw_verify_memory_region(p, page, HBW_TOUCH_PAGES) == 0;
  hwloc_free(topology(), p, page);
  return hbw;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

ThreadLayout g_layout;

}  // namespace

MachineTopology machine_topology() {
  MachineTopology m;
  hwloc_topology_t t = topology();
  hwloc_bitmap_t allowed = allowed_cpuset();
  m.allowed_cpus = cpu_list(allowed);
  const int ncores = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
  m.cores = ncores;
  m.hardware_threads = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
  m.allowed_hardware_threads = hwloc_bitmap_weight(allowed);
  for (int i = 0; i < ncores; ++i) {
    hwloc_obj_t core = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, static_cast<unsigned>(i));
    if (!hwloc_bitmap_intersects(core->cpuset, allowed)) continue;
    ++m.allowed_cores;
    m.hardware_threads_per_core =
        std::max(m.hardware_threads_per_core, hwloc_bitmap_weight(core->cpuset));
  }
  if (m.cores == 0) {  // hwloc without core information: every PU its own core
    m.cores = m.hardware_threads;
    m.allowed_cores = m.allowed_hardware_threads;
  }
  const int nnodes = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
  for (int i = 0; i < nnodes; ++i) {
    hwloc_obj_t node = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i));
    NumaNodeInfo n;
    n.os_index = node->os_index;
    n.memory_bytes = node->attr ? node->attr->numanode.local_memory : 0;
    n.subtype = node->subtype ? node->subtype : "";
    n.high_bandwidth = node_is_high_bandwidth(node);
    for (int c = 0; c < ncores; ++c)
      n.cores += hwloc_bitmap_intersects(
          hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, static_cast<unsigned>(c))->cpuset, node->cpuset);
    m.numa_nodes.push_back(n);
  }
  hwloc_bitmap_free(allowed);
  return m;
}

ThreadLayout plan_thread_layout(int threads, const std::string& threads_source,
                                int threads_per_core, int ranks_on_node) {
  const MachineTopology m = machine_topology();
  if (threads_per_core < 1 || threads_per_core > m.hardware_threads_per_core)
    throw ConfigError("execution.threads_per_core = " + std::to_string(threads_per_core) +
                          ": expected 1.." + std::to_string(m.hardware_threads_per_core) +
                          " (this machine has " + std::to_string(m.hardware_threads_per_core) +
                          " hardware thread(s) per core)",
                      {"", 0, 0, "execution.threads_per_core", std::to_string(threads_per_core)});
  ThreadLayout l;
  l.threads_per_core = threads_per_core;
  if (threads > 0) {
    l.threads = threads;
    l.threads_source = threads_source;
  } else {
    l.threads = std::min({std::max(1, m.allowed_cores) * threads_per_core,
                          std::max(1, m.allowed_hardware_threads), kMaxHostThreads});
    l.threads_source = threads_per_core == 1
                           ? "default: one per core"
                           : "default: " + std::to_string(threads_per_core) + " per core";
  }
  // Ranks sharing the node's whole CPU set (the launcher bound none of them): spread threads
  // of every rank would start on the same cores; the OS places them better unbound.
  const bool shared_unbound = ranks_on_node > 1 && m.allowed_hardware_threads == m.hardware_threads;
  if (std::getenv("OMP_PROC_BIND") != nullptr) {
    l.binding_source = "environment";
  } else if (shared_unbound) {
    setenv("OMP_PROC_BIND", "false", 1);
    l.binding_source = "not bound: " + std::to_string(ranks_on_node) +
                       " MPI ranks share this node's CPUs (bind them with the launcher)";
  } else {
    setenv("OMP_PROC_BIND", "spread", 1);
    if (std::getenv("OMP_PLACES") == nullptr)
      setenv("OMP_PLACES", threads_per_core == 1 ? "cores" : "threads", 1);
    l.binding_source = "celeste default";
  }
  l.proc_bind = env_or_empty("OMP_PROC_BIND");
  l.places = env_or_empty("OMP_PLACES");
  return l;
}

void bind_and_read_threads(ThreadLayout& layout) {
#if defined(_OPENMP)
  hwloc_topology_t t = topology();
  // The places of OMP_PLACES=cores / threads within this process's CPU set, for our default:
  // libgomp read OMP_PROC_BIND when the program loaded, before we could set it, so the
  // default binding is applied here, as OpenMP's spread would: thread i on place
  // floor(i * places / threads).
  std::vector<hwloc_bitmap_t> places;
  const bool bind = layout.binding_source == "celeste default";
  if (bind) {
    hwloc_bitmap_t allowed = allowed_cpuset();
    const hwloc_obj_type_t type = layout.places == "threads" ? HWLOC_OBJ_PU : HWLOC_OBJ_CORE;
    const int n = hwloc_get_nbobjs_by_type(t, type);
    for (int i = 0; i < n; ++i) {
      hwloc_obj_t obj = hwloc_get_obj_by_type(t, type, static_cast<unsigned>(i));
      hwloc_bitmap_t place = hwloc_bitmap_alloc();
      hwloc_bitmap_and(place, obj->cpuset, allowed);
      if (hwloc_bitmap_iszero(place))
        hwloc_bitmap_free(place);
      else
        places.push_back(place);
    }
    hwloc_bitmap_free(allowed);
  }
  const int nthreads = std::max(layout.threads, 1);
  std::vector<std::string> cpus(static_cast<std::size_t>(nthreads));
  std::vector<int> core_of(cpus.size(), -1);
#pragma omp parallel num_threads(nthreads)
  {
    const int id = omp_get_thread_num();
    if (bind && !places.empty()) {
      const std::size_t p = static_cast<std::size_t>(id) * places.size() / static_cast<std::size_t>(nthreads);
      hwloc_set_cpubind(t, places[p], HWLOC_CPUBIND_THREAD);
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (id < nthreads && hwloc_get_cpubind(t, set, HWLOC_CPUBIND_THREAD) == 0) {
      cpus[id] = cpu_list(set);
      hwloc_obj_t core = hwloc_get_next_obj_covering_cpuset_by_type(t, set, HWLOC_OBJ_CORE, nullptr);
      if (core && hwloc_bitmap_isincluded(set, core->cpuset))
        core_of[id] = static_cast<int>(core->logical_index);
    }
    hwloc_bitmap_free(set);
  }
  for (hwloc_bitmap_t p : places) hwloc_bitmap_free(p);
  layout.thread_cpus = cpus;
  // Threads each bound inside one core: how many cores they occupy (0: not so bound).
  std::set<int> used(core_of.begin(), core_of.end());
  layout.cores_used = used.count(-1) ? 0 : static_cast<int>(used.size());
#else
  (void)layout;
#endif
}

const ThreadLayout& thread_layout() { return g_layout; }
void set_thread_layout(const ThreadLayout& layout) { g_layout = layout; }

std::uint64_t peak_resident_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024u;  // Linux: kilobytes
}

}  // namespace celeste::runtime
