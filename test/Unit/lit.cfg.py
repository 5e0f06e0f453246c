# -*- Python -*-
# Runs the GoogleTest unit tests as part of the lit suite.
import os

import lit.formats

config.name = "WAFER-Unit"
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.test_source_root = os.path.join(config.wafer_obj_root, "unittests")
config.test_exec_root = config.test_source_root
