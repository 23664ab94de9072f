import smtplib
from email.message import EmailMessage

from app.config import SMTP_HOST


def send_email(to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(SMTP_HOST, 587, timeout=10) as smtp:
        smtp.starttls()
        smtp.send_message(message)


def send_welcome_email(to: str) -> None:
    send_email(to, "Welcome to the shop", "Thanks for signing up!")
