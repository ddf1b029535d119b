# CUDA build (issue 13), sourced by scripts/setup when CELESTE_BACKEND=cuda; not run alone.
# Debian's CUDA toolkit 11.8 (bookworm non-free, added in a private apt configuration: the
# system's sources stay untouched) with g++-11 as nvcc's host compiler (11.8 rejects g++-12);
# Kokkos 3.4.1 + Kokkos Kernels with Kokkos_ENABLE_CUDA (and Serial on the host) into their own
# cache prefix, so the OpenMP cache is never touched. Why: docs/decisions.md, issue 13.
# Knobs (in addition to scripts/setup's):
#   CELESTE_CUDA_ARCH  Kokkos GPU architecture, the X of Kokkos_ARCH_X (default AMPERE80;
#                      e.g. VOLTA70, TURING75, AMPERE86)
cuda_arch=$(printf '%s' "${CELESTE_CUDA_ARCH:-AMPERE80}" | tr '[:lower:]' '[:upper:]')
[[ "$cuda_arch" =~ ^[A-Z]+[0-9]+$ ]] || die "CELESTE_CUDA_ARCH='$cuda_arch' is not a Kokkos architecture such as AMPERE80"
cuda_root=/usr                    # Debian's toolkit: /usr/bin/nvcc, whatever else is on PATH
cuda_host_cxx=g++-11
cuda_packages=(nvidia-cuda-toolkit g++-11)
cuda_default_prefix() {
  printf '%s/.cache/celeste-k/kokkos-3.4.1-cuda-%s' "${HOME:-/root}" \
    "$(printf '%s' "$cuda_arch" | tr '[:upper:]' '[:lower:]')"
}
# The compiler every CUDA-build translation unit goes through: Kokkos' nvcc_wrapper, pinned to
# Debian's nvcc, its tools and g++-11 (another CUDA release's nvcc or ptxas first on PATH, as
# /usr/local/cuda/bin on some images, is not used).
cuda_cxx() { printf '%s/bin/celeste-nvcc' "$prefix"; }

cuda_install_toolkit() {
  local missing=() p
  for p in "${cuda_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ] || [ "${CELESTE_SKIP_APT:-0}" = 1 ]; then
    log "CUDA toolkit packages present (${cuda_packages[*]})"
  else
    [ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}); run this script as root"
    log "installing Debian's CUDA toolkit (non-free, ~1.6 GB download): ${missing[*]}"
    local apt_dir
    apt_dir=$(mktemp -d "${TMPDIR:-/tmp}/celeste-cuda-apt.XXXXXX")
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/parts"
    local uri
    uri=$(debian_archive_uri)
    cat > "$apt_dir/parts/nonfree.sources" <<SRC
Types: deb
URIs: $uri
Suites: bookworm bookworm-updates
Components: main contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    local aptopts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/parts"
                   -o "Dir::State::Lists=$apt_dir/lists")
    export DEBIAN_FRONTEND=noninteractive
    apt-get "${aptopts[@]}" update -qq
    apt-get "${aptopts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || die "could not install ${missing[*]} from Debian's non-free component"
    rm -rf "$apt_dir"
  fi
  [ -x "$cuda_root/bin/nvcc" ] || die "$cuda_root/bin/nvcc not found after installing nvidia-cuda-toolkit"
  command -v "$cuda_host_cxx" >/dev/null || die "$cuda_host_cxx not found (nvcc's host compiler)"
  log "nvcc: $("$cuda_root/bin/nvcc" --version | tail -n1), host compiler $cuda_host_cxx"
}

# Writes $(cuda_cxx) before Kokkos is configured (it runs the source tree's nvcc_wrapper until
# the install puts the same script into $prefix/bin).
cuda_write_compiler() {
  local kokkos_src=$1
  mkdir -p "$prefix/bin"
  cp "$kokkos_src/bin/nvcc_wrapper" "$prefix/bin/nvcc_wrapper"
  cat > "$(cuda_cxx)" <<WRAP
#!/bin/sh
# Kokkos' nvcc_wrapper with Debian's CUDA toolkit and its host compiler (scripts/setup-cuda.bash).
# Debian's nvcc finds ptxas, fatbinary and nvlink on PATH: $cuda_root/bin goes first.
PATH=$cuda_root/bin:\$PATH CUDA_ROOT=$cuda_root NVCC_WRAPPER_DEFAULT_COMPILER=$cuda_host_cxx \\
  exec "$prefix/bin/nvcc_wrapper" "\$@"
WRAP
  chmod +x "$(cuda_cxx)"
}

# Kokkos' backend options for the CUDA build (scripts/setup passes them to Kokkos' CMake).
cuda_kokkos_flags() {
  printf '%s\n' "-DCMAKE_CXX_COMPILER=$(cuda_cxx)" -DCUDAToolkit_ROOT="$cuda_root" \
    -DKokkos_ENABLE_SERIAL=ON -DKokkos_ENABLE_CUDA=ON -DKokkos_ENABLE_CUDA_LAMBDA=ON \
    "-DKokkos_ARCH_$cuda_arch=ON"
}

# Kokkos Kernels' options for the CUDA build: the same compiler; no cuBLAS/cuSPARSE (the batched
# routines need neither, and CMake would find another CUDA release's libraries first) and no
# explicit instantiations (header-only use, as in the OpenMP build).
cuda_kokkos_kernels_flags() {
  printf '%s\n' "-DCMAKE_CXX_COMPILER=$(cuda_cxx)" \
    -DKokkosKernels_ENABLE_TPL_CUBLAS=OFF -DKokkosKernels_ENABLE_TPL_CUSPARSE=OFF \
    -DKokkosKernels_INST_EXECSPACE_CUDA=OFF -DKokkosKernels_INST_MEMSPACE_CUDASPACE=OFF \
    -DKokkosKernels_INST_MEMSPACE_CUDAUVMSPACE=OFF
}
