import os

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg2://shop:shop@localhost/shop")
SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
MEDIA_BUCKET = os.environ.get("MEDIA_BUCKET", "shop-media")
EXCHANGE_API = os.environ.get("EXCHANGE_API", "https://api.exchangerate.host")
SUPPLIER_API = os.environ.get("SUPPLIER_API", "https://supplier.example.com/api")
SHIPPING_API = os.environ.get("SHIPPING_API", "https://shipping.example.com/v2")
WEATHER_API = os.environ.get("WEATHER_API", "https://wttr.in")
JWT_SECRET = os.environ.get("JWT_SECRET", "change-me")
MAINTENANCE_FLAG = os.environ.get("MAINTENANCE_FLAG", "/var/run/shop/maintenance")
