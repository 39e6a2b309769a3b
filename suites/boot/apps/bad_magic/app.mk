APP_CORRUPT := magic
