"""The URLconf of bench/pages_bench.py's measuring process: the package's admin and a plain one."""

from bench.pages_bench import urlpatterns as make_urlpatterns

urlpatterns = make_urlpatterns()
