"""The scenario language's small core: C types, expressions, templates, struct layouts.

Pure Python over the standard library; nothing here knows the kernel, the blocks or
the YAML. The scenario layer parses text with it at load time (every error located);
the blocks evaluate what it compiled at run time.
"""
