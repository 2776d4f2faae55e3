"""Whether the llama.cpp library in use can run on this CPU.

`make install` compiles llama.cpp for the machine it runs on (AVX-512 where the CPU has
it) and keeps the wheel per set of instruction sets, but a virtualenv or image copied to
another machine still carries a library compiled for instructions that machine's CPU may
lack, and the process would die with "Illegal instruction" at the first prompt. So the
instruction sets the library reports it was compiled with are compared with the CPU's
(Linux's /proc/cpuinfo) before a model is loaded, and a mismatch is a clear error.
"""

from __future__ import annotations

from pathlib import Path

from policyqa.errors import ModelUnavailableError

# llama.cpp's names of instruction sets -> the flags /proc/cpuinfo lists for them (x86).
CPUINFO_FLAGS = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "AVX_VNNI": "avx_vnni",
    "FMA": "fma",
    "F16C": "f16c",
    "BMI2": "bmi2",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
}
CPUINFO = Path("/proc/cpuinfo")


def compiled_for(system_info: str) -> set[str]:
    """The instruction sets in llama.cpp's system info ("CPU : AVX2 = 1 | AVX512 = 1 | ...")."""
    out = set()
    for item in system_info.replace(":", "|").split("|"):
        name, _, value = item.partition("=")
        if value.strip() == "1":
            out.add(name.strip().upper())
    return out


def cpu_flags(cpuinfo: Path = CPUINFO) -> set[str] | None:
    """The first CPU's flags, or None where /proc/cpuinfo does not list them."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return None


def missing(system_info: str, flags: set[str] | None) -> list[str]:
    """The instruction sets the library was compiled for that the CPU lacks (none when
    the CPU's flags are unknown)."""
    if flags is None:
        return []
    return sorted(n for n in compiled_for(system_info) if n in CPUINFO_FLAGS and CPUINFO_FLAGS[n] not in flags)


def check_cpu(system_info: str, flags: set[str] | None) -> None:
    """Raise ModelUnavailableError when the library needs instructions this CPU lacks."""
    lacking = missing(system_info, flags)
    if lacking:
        raise ModelUnavailableError(
            f"llama-cpp-python was compiled for a CPU with {', '.join(lacking)}, which this CPU lacks "
            "(a virtualenv copied from another machine?): rebuild it here with `make clean-venv install`"
        )
