# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "WAFER"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.wafer_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "Inputs", "downstream", "Unit", "hostile"]

# Debian's Python, which has python3-onnx and python3-numpy.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%wafer_src_root", config.wafer_src_root))
config.substitutions.append(("%wafer_obj_root", config.wafer_obj_root))
# Splits ONNX text test files at '# -----' lines (the marker cannot be
# spelled out in the RUN line, which would split there too).
config.substitutions.append(("%split_onnx", "--split-input-file='# -----'"))
# Longer names first: lit substitutes in order.
config.substitutions.append(("%cmake_generator", config.cmake_generator))
config.substitutions.append(("%cmake", config.cmake_command))
config.substitutions.append(("%cxx", config.cxx_compiler))

if getattr(config, "wafer_sanitize", False):
    config.available_features.add("sanitize")

# Upstream mlir-opt (Debian's mlir-22-tools) and the plugin that loads wafer
# into it (not built in sanitized builds).
config.substitutions.append(
    ("%wafer_plugin", os.path.join(config.wafer_obj_root, "lib", "WaferPlugin.so")))
config.substitutions.append(
    ("%upstream_mlir_opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))

# wafer-run built with MPI, and Open MPI's launcher: N ranks on any number
# of cores, as root too (CI containers run as root).
if getattr(config, "wafer_have_mpi", False):
    config.available_features.add("mpi")
config.substitutions.append(
    ("%mpirun", "mpirun --oversubscribe --allow-run-as-root "
                "--mca btl self,vader --mca btl_vader_single_copy_mechanism none"))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.wafer_tools_dir, config.llvm_tools_dir]
tools = [ToolSubst(name, unresolved="ignore") for name in
         ["wafer-opt", "wafer-translate", "wafer-compile", "wafer-run"]]
llvm_config.add_tool_substitutions(tools, tool_dirs)
