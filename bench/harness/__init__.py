"""The order-pipeline benchmark (issue 13): Vectis run the production way, side by side with
the same work done straight against PostgreSQL. Entry point: `bench/run.py`."""
