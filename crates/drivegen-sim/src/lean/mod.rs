//! Lean shaders for scenes without local lights. A software renderer (lavapipe) pays for
//! every instruction of a shader on every pixel, the branches a pixel never takes
//! included, and Bevy's PBR shader is mostly such branches: clustered point and spot
//! lights, environment maps, transmission. By day drivegen draws surfaces with:
//! - [`DraftMaterial`] at the draft quality: Bevy's PBR diffuse, sun highlight and
//!   ambient terms for a flat colour (`draft.wgsl`), 2.4x faster than PBR;
//! - [`LeanPbrMaterial`] from the default quality up: `StandardMaterial` with Bevy's own
//!   material input, sun (with its shadows) and ambient functions (`lean_pbr.wgsl`),
//!   about an eighth off the render.
//!
//! - [`SkyMaterial`] for the sky dome at every quality: its texture, unlit (`sky.wgsl`).
//!
//! All draw what the PBR shader draws, within a level or two per pixel (tested).

mod sky;

pub use sky::SkyMaterial;

use bevy::asset::uuid_handle;
use bevy::mesh::MeshVertexBufferLayoutRef;
use bevy::pbr::{
    ExtendedMaterial, Material, MaterialExtension, MaterialPipeline, MaterialPipelineKey,
    MaterialPlugin, MeshPipelineKey,
};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, Face, RenderPipelineDescriptor, SpecializedMeshPipelineError,
};
use bevy::shader::{Shader, ShaderRef};

const OUTPUT_SHADER: Handle<Shader> = uuid_handle!("4a8f0d2c-71e3-4b95-8c6a-d05e92b3f7a1");
const DRAFT_SHADER: Handle<Shader> = uuid_handle!("6f1c2a4e-93b7-4d0a-8e55-2b7c1d9f0a31");

/// Whether a lean shader draws `m` as the PBR shader would: lit and not glowing. Lamps
/// (whose materials switch) and the unlit sky keep their own materials.
pub fn shadable(m: &StandardMaterial) -> bool {
    !m.unlit && m.emissive == LinearRgba::BLACK
}

/// A flat colour lit by the directional lights and the ambient light.
#[derive(Asset, AsBindGroup, TypePath, Clone, Debug, PartialEq)]
pub struct DraftMaterial {
    /// Diffuse albedo (linear rgb) and perceptual roughness (alpha).
    #[uniform(0)]
    pub diffuse: LinearRgba,
    /// Reflectance at normal incidence (rgb) and specular occlusion (alpha).
    #[uniform(1)]
    pub specular: LinearRgba,
}

impl DraftMaterial {
    /// The draft material of a lit PBR material; `None` for what only the PBR shader
    /// draws right (emissive lamps, unlit or textured surfaces).
    pub fn from_standard(m: &StandardMaterial) -> Option<DraftMaterial> {
        let textured = m.base_color_texture.is_some()
            || m.normal_map_texture.is_some()
            || m.metallic_roughness_texture.is_some();
        if textured || !shadable(m) {
            return None;
        }
        let base = m.base_color.to_linear();
        let metal = m.metallic.clamp(0.0, 1.0);
        let dielectric_f0 = 0.16 * m.reflectance * m.reflectance;
        let f0 = |c: f32| dielectric_f0 * (1.0 - metal) + c * metal;
        let specular = [f0(base.red), f0(base.green), f0(base.blue)];
        // As Bevy's ambient light: F0 under 0.02 is taken as occluded.
        let occlusion = (specular.iter().sum::<f32>() * 50.0 * 0.33).clamp(0.0, 1.0);
        Some(DraftMaterial {
            diffuse: LinearRgba::new(
                base.red * (1.0 - metal),
                base.green * (1.0 - metal),
                base.blue * (1.0 - metal),
                m.perceptual_roughness,
            ),
            specular: LinearRgba::new(specular[0], specular[1], specular[2], occlusion),
        })
    }
}

impl Material for DraftMaterial {
    fn fragment_shader() -> ShaderRef {
        DRAFT_SHADER.into()
    }

    /// Back faces culled in every pass, as `StandardMaterial` does: the prepass would
    /// otherwise write the depth of faces the main pass culls, leaving holes.
    fn specialize(
        _pipeline: &MaterialPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        _layout: &MeshVertexBufferLayoutRef,
        key: MaterialPipelineKey<Self>,
    ) -> Result<(), SpecializedMeshPipelineError> {
        let inverted = key.mesh_key.contains(MeshPipelineKey::INVERT_CULLING);
        descriptor.primitive.cull_mode = Some(if inverted { Face::Front } else { Face::Back });
        Ok(())
    }
}

/// Registers [`DraftMaterial`], [`LeanPbrMaterial`], [`SkyMaterial`] and their shaders.
#[derive(Debug)]
pub struct LeanShadersPlugin;

impl Plugin for LeanShadersPlugin {
    fn build(&self, app: &mut App) {
        // Fixed ids nothing else inserts: inserting cannot fail. `output.wgsl` is the
        // shared tail the others import by path.
        let mut shaders = app.world_mut().resource_mut::<Assets<Shader>>();
        for (handle, source, path) in [
            (OUTPUT_SHADER, include_str!("output.wgsl"), "output.wgsl"),
            (DRAFT_SHADER, include_str!("draft.wgsl"), "draft.wgsl"),
            (
                LEAN_PBR_SHADER,
                include_str!("lean_pbr.wgsl"),
                "lean_pbr.wgsl",
            ),
            (sky::SKY_SHADER, include_str!("sky.wgsl"), "sky.wgsl"),
        ] {
            let shader = Shader::from_wgsl(source, format!("drivegen_sim/lean/{path}"));
            let _ = shaders.insert(handle.id(), shader);
        }
        app.add_plugins((
            MaterialPlugin::<DraftMaterial>::default(),
            MaterialPlugin::<LeanPbrMaterial>::default(),
            MaterialPlugin::<SkyMaterial>::default(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dielectric_keeps_its_colour_and_a_metal_its_reflectance() {
        let paint = DraftMaterial::from_standard(&StandardMaterial {
            base_color: Color::linear_rgb(0.5, 0.2, 0.1),
            perceptual_roughness: 0.9,
            ..default()
        })
        .expect("a lit flat colour");
        assert_eq!(paint.diffuse, LinearRgba::new(0.5, 0.2, 0.1, 0.9));
        // Reflectance 0.5 is F0 0.04 for every channel, above the occlusion threshold.
        assert!((paint.specular.red - 0.04).abs() < 1e-6);
        assert_eq!(paint.specular.alpha, 1.0);

        let chrome = DraftMaterial::from_standard(&StandardMaterial {
            base_color: Color::linear_rgb(0.6, 0.6, 0.6),
            metallic: 1.0,
            ..default()
        })
        .expect("a lit metal");
        assert_eq!(chrome.diffuse.red, 0.0);
        assert!((chrome.specular.green - 0.6).abs() < 1e-6);
    }

    #[test]
    fn lamps_and_textured_surfaces_stay_pbr() {
        let lamp = StandardMaterial {
            emissive: LinearRgba::rgb(4.0, 0.1, 0.1),
            ..default()
        };
        assert_eq!(DraftMaterial::from_standard(&lamp), None);
        let sky = StandardMaterial {
            unlit: true,
            ..default()
        };
        assert_eq!(DraftMaterial::from_standard(&sky), None);
        let asphalt = StandardMaterial {
            base_color_texture: Some(Handle::default()),
            ..default()
        };
        assert_eq!(DraftMaterial::from_standard(&asphalt), None);
    }
}

const LEAN_PBR_SHADER: Handle<Shader> = uuid_handle!("b3d7e2a9-5c41-4f6e-9a0d-7e81c4f2b6d5");

/// Bevy's `StandardMaterial` drawn by the lean PBR shader (`lean_pbr.wgsl`): the same
/// inputs and the same sun and ambient terms, no clustered lights.
pub type LeanPbrMaterial = ExtendedMaterial<StandardMaterial, LeanLighting>;

/// The extension that swaps in the lean fragment shader; it adds no bindings.
#[derive(Asset, AsBindGroup, TypePath, Clone, Debug, Default)]
pub struct LeanLighting {}

impl MaterialExtension for LeanLighting {
    fn fragment_shader() -> ShaderRef {
        LEAN_PBR_SHADER.into()
    }
}
