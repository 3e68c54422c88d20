#!/bin/sh
# Run by compose/Dockerfile: each tree given (the venv's library, the interpreter's)
# is compiled to byte-code the way the image's processes run (-OO, no column
# positions: its ENV), written where each source was (x.pyc for x.py), and the
# sources move to /opt/berth/source<tree>, the file names the byte-code carries:
# modules load from byte-code alone and tracebacks still show their lines.
set -eu
for tree in "$@"; do
  python3 -m compileall -q -j 0 -o 2 -b -s "$tree" -p "/opt/berth/source$tree" "$tree"
  mkdir -p "/opt/berth/source$tree"
  (cd "$tree" && find . -name '*.py' -print0 | tar --null -cf - --files-from=- --remove-files) \
    | tar -xf - -C "/opt/berth/source$tree"
  find "$tree" -name __pycache__ -type d -prune -exec rm -rf {} +
done
