"""Images: phantoms (random ellipses, Shepp-Logan, uploads), measurement noise, PSNR / SSIM, PNG drawing."""
