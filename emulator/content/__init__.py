"""Azure resources that hold Sentinel content outside ``Microsoft.SecurityInsights``.

Log Analytics saved searches (how Sentinel keeps hunting queries), Azure Monitor workbooks, and metric
alerts with the evaluator that fires them on the virtual clock. Split as every service is: ``urls``,
``responses``, ``models`` (one module per resource type), ``errors``.
"""
