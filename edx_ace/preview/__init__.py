"""
Previews of message types: find their templates, render them with sample context, and
write the results as a static HTML gallery. The ``ace_preview`` command drives it.
"""
