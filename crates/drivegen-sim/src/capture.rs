//! Copying camera targets back to the CPU, tagged with the capture they belong to.
//!
//! After the render graph has run, each camera's target texture is copied into a
//! mappable buffer and the device is polled until the copy is done, so every
//! `app.update()` that carries a [`CaptureTag`] delivers exactly that update's images.

use bevy::prelude::*;
use bevy::render::extract_resource::{ExtractResource, ExtractResourcePlugin};
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::{
    Buffer, BufferDescriptor, BufferUsages, CommandEncoderDescriptor, MapMode, PollType,
    TexelCopyBufferInfo, TexelCopyBufferLayout,
};
use bevy::render::renderer::{RenderDevice, RenderQueue};
use bevy::render::texture::GpuImage;
use bevy::render::{Extract, Render, RenderApp, RenderSystems};
use crossbeam_channel::{Receiver, Sender};

/// Which capture the current update renders; `None` renders without copying back.
#[derive(Resource, Clone, Copy, Debug, Default, ExtractResource)]
pub struct CaptureTag(pub Option<u64>);

/// A camera whose target is read back, by index into the plan's cameras.
#[derive(Component, Clone, Debug)]
pub struct CaptureTarget {
    pub camera: u8,
    pub image: Handle<Image>,
}

/// One camera's image of one capture: tightly packed sRGB RGBA8 rows.
#[derive(Debug)]
pub struct Captured {
    pub tag: u64,
    pub camera: u8,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

#[derive(Resource, Debug)]
pub struct CaptureReceiver(pub Receiver<Result<Captured, String>>);

#[derive(Resource)]
struct CaptureSender(Sender<Result<Captured, String>>);

#[derive(Resource, Default)]
struct ExtractedTargets(Vec<CaptureTarget>);

#[derive(Debug)]
pub struct CapturePlugin;

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        let (tx, rx) = crossbeam_channel::unbounded();
        app.insert_resource(CaptureReceiver(rx))
            .init_resource::<CaptureTag>()
            .add_plugins(ExtractResourcePlugin::<CaptureTag>::default());
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app
                .insert_resource(CaptureSender(tx))
                .init_resource::<ExtractedTargets>()
                .add_systems(ExtractSchedule, extract_targets)
                .add_systems(Render, copy_targets.after(RenderSystems::Render));
        }
    }
}

fn extract_targets(mut commands: Commands, targets: Extract<Query<&CaptureTarget>>) {
    let mut list: Vec<CaptureTarget> = targets.iter().cloned().collect();
    list.sort_by_key(|t| t.camera);
    commands.insert_resource(ExtractedTargets(list));
}

fn copy_targets(
    tag: Option<Res<CaptureTag>>,
    targets: Res<ExtractedTargets>,
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    images: Res<RenderAssets<GpuImage>>,
    sender: Res<CaptureSender>,
    mut buffers: Local<Vec<(u8, Buffer, u64)>>,
) {
    let Some(tag) = tag.and_then(|t| t.0) else {
        return;
    };
    for target in &targets.0 {
        let Some(gpu) = images.get(&target.image) else {
            let _ = sender.0.send(Err(format!(
                "camera {} target is not on the GPU yet",
                target.camera
            )));
            continue;
        };
        let size = gpu.texture_descriptor.size;
        let row = size.width as usize * 4;
        let padded = RenderDevice::align_copy_bytes_per_row(row);
        let bytes = padded as u64 * u64::from(size.height);
        let buffer = match buffers
            .iter()
            .find(|(c, _, b)| *c == target.camera && *b == bytes)
        {
            Some((_, buf, _)) => buf.clone(),
            None => {
                let buf = device.create_buffer(&BufferDescriptor {
                    label: Some("drivegen capture"),
                    size: bytes,
                    usage: BufferUsages::MAP_READ | BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                buffers.retain(|(c, _, _)| *c != target.camera);
                buffers.push((target.camera, buf.clone(), bytes));
                buf
            }
        };
        let mut encoder = device.create_command_encoder(&CommandEncoderDescriptor::default());
        encoder.copy_texture_to_buffer(
            gpu.texture.as_image_copy(),
            TexelCopyBufferInfo {
                buffer: &buffer,
                layout: TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded as u32),
                    rows_per_image: None,
                },
            },
            size,
        );
        queue.submit(std::iter::once(encoder.finish()));
        let slice = buffer.slice(..);
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        slice.map_async(MapMode::Read, move |r| {
            let _ = done_tx.send(r);
        });
        if let Err(e) = device.poll(PollType::wait_indefinitely()) {
            let _ = sender.0.send(Err(format!("device poll failed: {e}")));
            continue;
        }
        match done_rx.recv() {
            Ok(Ok(())) => {
                let data = slice.get_mapped_range();
                let mut rgba = Vec::with_capacity(row * size.height as usize);
                for chunk in data.chunks(padded).take(size.height as usize) {
                    rgba.extend_from_slice(&chunk[..row]);
                }
                drop(data);
                buffer.unmap();
                let _ = sender.0.send(Ok(Captured {
                    tag,
                    camera: target.camera,
                    width: size.width,
                    height: size.height,
                    rgba,
                }));
            }
            Ok(Err(e)) => {
                let _ = sender
                    .0
                    .send(Err(format!("mapping the capture buffer failed: {e}")));
            }
            Err(_) => {
                let _ = sender
                    .0
                    .send(Err("the capture buffer was never mapped".into()));
            }
        }
    }
}
