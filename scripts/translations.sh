#!/usr/bin/env bash
# The editor's gettext catalogs (editor/translations/<lang>/LC_MESSAGES/messages.po and .mo).
#   bash scripts/translations.sh update    # after changing texts: extract them, merge into every .po
#   bash scripts/translations.sh compile   # after translating: write the .mo files (commit both)
# tests/editor/test_i18n.py fails when a text is not marked, a translation is missing or a .mo is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test >/dev/null
PYBABEL=.venv/bin/pybabel
CATALOGS=editor/translations
case "${1:-}" in
  update)
    template=$(mktemp --suffix=.pot)
    trap 'rm -f "$template"' EXIT
    "$PYBABEL" extract -F babel.cfg --no-wrap --no-location --sort-output --project "Element Studio" -o "$template" .
    "$PYBABEL" update -i "$template" -d "$CATALOGS" --no-fuzzy-matching --ignore-obsolete --no-wrap
    ;;
  compile)
    "$PYBABEL" compile --statistics -d "$CATALOGS"
    ;;
  *)
    echo "usage: bash scripts/translations.sh update|compile" >&2
    exit 2
    ;;
esac
