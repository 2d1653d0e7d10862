"""Outputs: files and folders, figures, the HTML report, planners' plots.

Writers take tables, never the objects that produced them, and nothing here simulates. The
package root imports nothing, so the command line can check an ``--out`` folder
(:mod:`.files`) before matplotlib is loaded.
"""
