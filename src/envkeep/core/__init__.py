"""core layer."""

from envkeep.core._native import use_compiled

use_compiled(__path__)
