# The SPDX project's own validator (tools-python, Debian's python3-spdx-tools) over the SPDX
# documents named on the command line: one line per problem, "FILE: message"; exit 1 if any.
import sys

from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

problems = 0
for name in sys.argv[1:]:
    try:
        doc = parse_file(name)
    except SPDXParsingError as e:
        problems += 1
        print(f"{name}: {' / '.join(e.get_messages())}")
        continue
    for m in validate_full_spdx_document(doc):
        problems += 1
        print(f"{name}: {m.validation_message}")
sys.exit(1 if problems else 0)
